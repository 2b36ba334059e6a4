import { describe, expect, it } from 'vitest';
import { MemoryStateStore, type ApprovalRecord } from '../src/index.js';

const rec = (id: string, digest: string, status: ApprovalRecord['status'] = 'pending'): ApprovalRecord => ({
  id,
  args_digest: digest,
  tool: 't',
  agent: 'a',
  requirements: [{ rule: 'r', role: 'x', quorum: 1 }],
  approvals: [],
  rejections: [],
  status,
  created_at: '2025-01-01T00:00:00.000Z',
  expires_at: '2025-01-01T00:05:00.000Z',
  on_timeout: 'deny',
});

describe('MemoryStateStore', () => {
  it('history keeps the last max calls', () => {
    const s = new MemoryStateStore();
    for (let i = 0; i < 5; i++) s.recordCall('s', { tool: 't', args: { i }, at: i }, 3);
    expect(s.history('s').map((c) => c.at)).toEqual([2, 3, 4]);
    expect(s.history('other')).toEqual([]);
  });

  it('rateHit is a check-and-add on the window [now - windowMs, now]; rateUndo removes one hit', () => {
    const s = new MemoryStateStore();
    expect(s.rateHit('k', 100, 50, 2)).toBe(true);
    expect(s.rateHit('k', 120, 50, 2)).toBe(true);
    expect(s.rateHit('k', 150, 50, 2)).toBe(false);
    expect(s.rateCount('k', 150, 50)).toBe(2);
    expect(s.rateHit('k', 151, 50, 2)).toBe(true); // 100 left the window
    s.rateUndo('k', 151);
    expect(s.rateCount('k', 151, 50)).toBe(1);
    // an out-of-order clock is tolerated
    expect(s.rateHit('k', 130, 50, 3)).toBe(true);
    expect(s.rateCount('k', 160, 50)).toBe(2);
  });

  it('budgetCharge adds only when every limited dimension fits', () => {
    const s = new MemoryStateStore();
    expect(s.budgetCharge('b', { calls: 1, tokens: 5, costMicros: 10 }, { costMicros: 15 })).toEqual({ ok: true, before: { calls: 0, tokens: 0, costMicros: 0 } });
    expect(s.budgetCharge('b', { calls: 1, tokens: 5, costMicros: 10 }, { costMicros: 15 }).ok).toBe(false);
    expect(s.budgetCharge('b', { calls: 1, tokens: 5, costMicros: 5 }, { costMicros: 15, tokens: 9 }).ok).toBe(false);
    expect(s.budgetUse('b')).toEqual({ calls: 1, tokens: 5, costMicros: 10 });
    expect(s.budgetAdd('b', { calls: -1, tokens: -5, costMicros: -10 })).toEqual({ calls: 0, tokens: 0, costMicros: 0 });
  });

  it('taint sets are per session and label, capped, most recent kept', () => {
    const s = new MemoryStateStore();
    s.taintAdd('s', 'l', ['aaa', 1, 'bbb'], 2);
    expect([...s.taint('s', 'l')]).toEqual([1, 'bbb']);
    s.taintAdd('s', 'l', [1, 'ccc'], 2);
    expect([...s.taint('s', 'l')]).toEqual([1, 'ccc']);
    expect(s.taint('s', 'other').size).toBe(0);
    expect(s.taint('t', 'l').size).toBe(0);
  });

  it('approvalCreate is create-if-no-live-record; approvalSwap is compare-and-set; records are copies', () => {
    const s = new MemoryStateStore();
    const a = s.approvalCreate(rec('a', 'd'));
    expect(a.id).toBe('a');
    expect(s.approvalCreate(rec('b', 'd')).id).toBe('a');
    const granted = { ...a, approvals: [{ approver: 'x', role: 'x', time: 't' }], status: 'granted' as const };
    expect(s.approvalSwap(granted, a)).toBe(true);
    expect(s.approvalSwap({ ...a, status: 'rejected' }, a)).toBe(false); // stale expectation
    expect(s.approvalSwap({ ...granted, status: 'used' }, granted)).toBe(true);
    expect(s.approvalCreate(rec('c', 'd')).id).toBe('c'); // the last one was used
    expect(s.approvalFind('d')!.id).toBe('c');
    expect(s.approvalList().map((r) => [r.id, r.status])).toEqual([
      ['a', 'used'],
      ['c', 'pending'],
    ]);
    const got = s.approvalGet('c')!;
    got.status = 'granted';
    expect(s.approvalGet('c')!.status).toBe('pending');
  });

  it('one token vault per session', () => {
    const s = new MemoryStateStore();
    const t = s.vault('s').tokenFor('email', 'a@b.c');
    expect(s.vault('s').lookup(t)).toBe('a@b.c');
    expect(s.vault('other').lookup(t)).toBeUndefined();
  });
});
