import { describe, expect, it } from 'vitest';
import { detect, scanText } from '../../src/detectors/index.js';

function kindTexts(text: string, kind: string): string[] {
  return scanText('secret', text, [kind]).map((f) => f.text);
}

const GHP = 'ghp_' + 'aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6';
const PAT = 'github_pat_11ABCDEFG0123456789abc_' + '0123456789abcdefghijABCDEFGHIJ0123456789abcdefghijABCDEFGHI';
const SLACK = 'xoxb-' + '123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const PEM = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEAx4Zk', 'c2VjcmV0IGtleSBib2R5', '-----END RSA PRIVATE KEY-----'].join('\n');

describe('secret: aws_access_key', () => {
  it.each([
    ['aws_access_key_id = AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLE'],
    ['"ASIAY34FZKBOKMUTVV7A"', 'ASIAY34FZKBOKMUTVV7A'],
  ])('finds %j', (text, key) => expect(kindTexts(text, 'aws_access_key')).toEqual([key]));
  it.each(['AKIAIOSFODNN7EXAMPL', 'AKIAIOSFODNN7EXAMPLE1', 'XAKIAIOSFODNN7EXAMPLE', 'AKIAiosfodnn7example', 'AKIDIOSFODNN7EXAMPLE'])(
    'rejects %j',
    (text) => expect(kindTexts(text, 'aws_access_key')).toEqual([]),
  );
});

describe('secret: github_token', () => {
  it.each([
    [`token ${GHP}`, GHP],
    [GHP.replace('ghp_', 'gho_'), GHP.replace('ghp_', 'gho_')],
    [GHP.replace('ghp_', 'ghs_'), GHP.replace('ghp_', 'ghs_')],
    [`Authorization: Bearer ${PAT}`, PAT],
  ])('finds %j', (text, tok) => expect(kindTexts(text, 'github_token')).toEqual([tok]));
  it.each([
    GHP.slice(0, -1), // 35 characters
    GHP.replace('ghp_', 'ghx_'),
    `x${GHP}`,
    'github_pat_from_the_environment_variable_name_here',
  ])('rejects %j', (text) => expect(kindTexts(text, 'github_token')).toEqual([]));
});

describe('secret: slack_token', () => {
  it.each([[SLACK], ['xoxp-1234567890-1234567890-1234567890-0123456789abcdef0123456789abcdef']])('finds %j', (tok) =>
    expect(kindTexts(`SLACK=${tok}`, 'slack_token')).toEqual([tok]),
  );
  it.each(['xoxb-foo', 'xoxb-not-a-real-token-here', 'xoxz-123456789012-1234567890123-AbCdEf', 'xoxb123456789012'])('rejects %j', (text) =>
    expect(kindTexts(text, 'slack_token')).toEqual([]),
  );
});

describe('secret: openai_key', () => {
  it.each([
    ['OPENAI_API_KEY=sk-proj-AbCdEf0123456789GhIjKlMnOpQrStUvWx_yz-0123', 'sk-proj-AbCdEf0123456789GhIjKlMnOpQrStUvWx_yz-0123'],
    ['sk-' + 'T3BlbkFJ'.repeat(4) + '0123456789', 'sk-' + 'T3BlbkFJ'.repeat(4) + '0123456789'],
    ['key sk-1234567890abcdefghij.', 'sk-1234567890abcdefghij'],
  ])('finds %j', (text, key) => expect(kindTexts(text, 'openai_key')).toEqual([key]));
  it.each(['sk-short123', 'sk-my-favourite-holiday-photos-2024', 'task-1234567890abcdefghijkl', 'sk-abcdefghijklmnopqrstuvwxyz'])('rejects %j', (text) =>
    expect(kindTexts(text, 'openai_key')).toEqual([]),
  );
});

describe('secret: private_key', () => {
  it('takes the block through its END line', () => {
    expect(kindTexts(`key:\n${PEM}\ntrailer`, 'private_key')).toEqual([PEM]);
  });
  it('accepts other PEM/PGP labels', () => {
    for (const label of ['PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'PGP PRIVATE KEY BLOCK']) {
      const block = `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----`;
      expect(kindTexts(block, 'private_key')).toEqual([block]);
    }
  });
  it('takes the base64 body when the END line is missing', () => {
    expect(kindTexts('-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\nkqhkiG9w0BAQEF \n\nnext: 1', 'private_key')).toEqual([
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\nkqhkiG9w0BAQEF',
    ]);
  });
  it('handles keys embedded with literal \\n escapes', () => {
    const escaped = PEM.replace(/\n/g, '\\n');
    expect(kindTexts(`{"key":"${escaped}"}`, 'private_key')).toEqual([escaped]);
  });
  it.each(['-----BEGIN PUBLIC KEY-----\nMFkwEwYH\n-----END PUBLIC KEY-----', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----', 'my private key is safe'])(
    'rejects %j',
    (text) => expect(kindTexts(text, 'private_key')).toEqual([]),
  );
});

describe('secret: jwt', () => {
  it.each([
    [`Authorization: Bearer ${JWT}`, JWT],
    [`${JWT}.`, JWT],
    ['eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.'],
  ])('finds %j', (text, jwt) => expect(kindTexts(text, 'jwt')).toEqual([jwt]));
  it.each(['eyJhbGciOiJIUzI1NiJ9', 'abc.def.ghi', 'eyJ.eyJ.x', 'eyJhbGciOiJIUzI1NiJ9x.eyJzdWIiOiIxIn0.sig'])('rejects %j', (text) =>
    expect(kindTexts(text, 'jwt')).toEqual([]),
  );
});

describe('secret: benign text', () => {
  it.each([
    'Please reset my password, the old one was hunter2.',
    'The ticket id is TCK-2024-000123; see https://example.com/a/b?c=d.',
    'Use the task-runner skill, e.g. sk-learn for ML.',
    'Our AKIA team meets on Monday.',
    'commit 3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e',
  ])('no secret in %j', (text) => expect(detect('secret', text)).toBe(false));
});
