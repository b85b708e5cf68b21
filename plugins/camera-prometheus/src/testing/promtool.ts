import { execFile } from 'node:child_process';

/** Run promtool (Debian's prometheus package); resolves with its exit code and output. */
export function promtool(args: string[], input?: string): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const child = execFile('promtool', args, { timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, output: `${stdout}${stderr}` });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}
