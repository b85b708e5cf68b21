import type { Client } from '@elastic/elasticsearch';
import type { IndexTemplate } from './mappings.js';

export interface TemplateInstallResult {
  written: string[];
  upToDate: string[];
}

/**
 * Idempotent: a template already at this version (ours, by `_meta.managed_by`) is
 * left alone, so restarts do not rewrite cluster state; older or foreign ones are
 * replaced. Templates apply to indices created afterwards; existing indices keep
 * their mapping (see the README's upgrade note).
 */
export async function installTemplates(client: Client, templates: IndexTemplate[]): Promise<TemplateInstallResult> {
  const existing = await currentVersions(client, templates.map((t) => t.name));
  const result: TemplateInstallResult = { written: [], upToDate: [] };
  for (const { name, ...body } of templates) {
    if (existing.get(name) === body.version) {
      result.upToDate.push(name);
      continue;
    }
    await client.indices.putIndexTemplate({ name, ...body });
    result.written.push(name);
  }
  return result;
}

async function currentVersions(client: Client, names: string[]): Promise<Map<string, number | undefined>> {
  // `ignore: [404]`: a fresh cluster has none of them.
  const responses = await Promise.all(names.map((name) => client.indices.getIndexTemplate({ name }, { ignore: [404] })));
  const versions = new Map<string, number | undefined>();
  for (const response of responses) {
    for (const { name, index_template: template } of response.index_templates ?? []) {
      if (template._meta?.managed_by === 'evcam') versions.set(name, template.version);
    }
  }
  return versions;
}
