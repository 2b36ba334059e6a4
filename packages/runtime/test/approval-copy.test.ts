// Stores copy approval records in and out without a JSON round trip (state/approval-record.ts): the copies
// must be what the round trip gives (the record as served and as a shared store would return it), and unshared.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStateStore, type ApprovalRecord } from '@writ/runtime';

const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const vote = fc.record({ approver: text, role: text, time: text });
const record = fc.record(
  {
    id: fc.uuid(),
    args_digest: text,
    tool: text,
    agent: text,
    session: fc.option(text, { nil: undefined }),
    requirements: fc.array(fc.record({ rule: text, role: text, quorum: fc.integer({ min: 1, max: 5 }) }), { maxLength: 3 }),
    approvals: fc.array(vote, { maxLength: 3 }),
    rejections: fc.array(fc.record({ approver: text, role: text, time: text, reason: fc.option(text, { nil: undefined }) }), { maxLength: 2 }),
    status: fc.constantFrom('pending', 'granted', 'rejected', 'expired', 'used'),
    created_at: text,
    expires_at: text,
    on_timeout: fc.constantFrom('deny', 'allow'),
  },
  { requiredKeys: ['id', 'args_digest', 'tool', 'agent', 'requirements', 'approvals', 'rejections', 'status', 'created_at', 'expires_at', 'on_timeout'] },
) as fc.Arbitrary<ApprovalRecord>;

describe('MemoryStateStore approval copies', () => {
  it('equal the JSON round trip of the stored record (undefined members left out) and share nothing with it', () => {
    fc.assert(
      fc.property(record, (r) => {
        const store = new MemoryStateStore();
        const created = store.approvalCreate(r);
        const expected = JSON.parse(JSON.stringify(r)) as ApprovalRecord;
        const got = store.approvalGet(r.id)!;
        expect(created).toStrictEqual(expected);
        expect(got).toStrictEqual(expected);
        expect(Object.keys(got)).toEqual(Object.keys(expected));
        // Mutating what was returned (or what was passed in) does not change the store.
        got.approvals.push({ approver: 'x', role: 'y', time: 'z' });
        got.requirements.forEach((q) => (q.quorum += 1));
        r.rejections.push({ approver: 'x', role: 'y', time: 'z' });
        expect(store.approvalFind(r.args_digest)).toStrictEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
