// Which broker connect errors are the user's to fix (start fails with a coded error) and which are retried.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isFatalConnectError, isVhostRefusal } from './amqp-connect-errors.js';

describe('connect error classification', () => {
  test('refused credentials, permissions, conflicting declarations, DNS and TLS failures are fatal', () => {
    for (const message of [
      'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN"',
      'Operation failed: ExchangeDeclare; 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg \'type\' for exchange \'celeryev\'"',
      'Connection closed: 530 (NOT-ALLOWED) with message "NOT_ALLOWED - vhost nope not found"',
      'getaddrinfo ENOTFOUND no-such-host.invalid',
      'self-signed certificate in certificate chain',
      'unable to verify the first certificate',
      'ERR_TLS_CERT_ALTNAME_INVALID',
    ]) assert.equal(isFatalConnectError(new Error(message)), true, message);
  });

  test('a broker that is down or restarting is retried', () => {
    for (const message of ['connect ECONNREFUSED 127.0.0.1:5672', 'Socket closed abruptly during opening handshake',
      'connect ETIMEDOUT 10.0.0.1:5672', 'Connection closed: 320 (CONNECTION-FORCED) with message "CONNECTION_FORCED - broker forced connection closure with reason \'shutdown\'"']) {
      assert.equal(isFatalConnectError(new Error(message)), false, message);
    }
  });

  test('amqplib\'s vhost refusal is recognised, also when thrown as a string', () => {
    assert.equal(isVhostRefusal(new Error('Expected ConnectionOpenOk; got <ConnectionClose channel:0>')), true);
    assert.equal(isVhostRefusal('Expected ConnectionOpenOk; got <ConnectionClose channel:0>'), true);
    assert.equal(isVhostRefusal(new Error('connect ECONNREFUSED 127.0.0.1:5672')), false);
    assert.equal(isVhostRefusal(undefined), false);
  });
});
