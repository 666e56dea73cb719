/**
 * Data scope applied to the data: every console route asks here whether the signed-in user may
 * read or act on a bill or a refund, and which bills a list may hold. The rules are in
 * domain/access.ts; this module loads what they need (the refunds a doctor is a party to).
 *
 * Out of scope reads answer "not found" (E0030 / E0090), so an id outside the user's scope
 * reveals nothing; actions on a bill the user may read but not act on (a doctor's bill) answer
 * E0005 naming the billing point.
 */
import { DomainError } from '../common/errors';
import { dataScope, pointInScope, refundInScope, type Viewer } from '../domain/access';
import { isTodoFor, otherDeciders, TODO_STATES, type RefundActor, type RefundPosition, type StepDeciders } from '../domain/refund/permissions';
import type { ChainStep } from '../domain/refund/chain';
import type { Db } from '../orm/repositories/db';
import { listRefunds, partyRefunds, refundTies, type RefundRow } from '../orm/repositories/refund-reads';

export type { Viewer } from '../domain/access';

/** Where a refund row stands, for the permission rules (domain/refund/permissions.ts). */
export const refundPosition = (r: RefundRow): RefundPosition => ({
  state: r.state,
  stepIndex: r.step_index,
  steps: JSON.parse(r.chain_steps) as ChainStep[],
  assignee: r.step_assignee,
  placeCode: r.place_code,
  decidedBy: otherDeciders(r.decided_by ? (JSON.parse(r.decided_by) as StepDeciders) : null, r.step_index),
  applicant: r.applicant,
});

const actorOf = (v: Viewer & { displayName?: string }): RefundActor => ({ username: v.username, displayName: v.displayName ?? v.username, roles: [...v.roles], placeCode: v.placeCode });

/** The refunds (and their bills) a party-scoped viewer reaches: by name, or on their to-do list by role. */
export async function partyReach(db: Db, v: Viewer): Promise<{ refundIds: Set<number>; billIds: Set<number> }> {
  const named = await partyRefunds(db, v.username);
  const todo = (await listRefunds(db, { states: TODO_STATES })).filter((r) => isTodoFor(refundPosition(r), actorOf(v)));
  const all = [...named, ...todo.map((r) => ({ id: r.id, bill_id: r.bill_id }))];
  return { refundIds: new Set(all.map((r) => r.id)), billIds: new Set(all.map((r) => r.bill_id)) };
}

/** What a bill list may hold for the viewer. */
export type BillListScope = { kind: 'hospital' } | { kind: 'points'; points: string[] } | { kind: 'bills'; billIds: number[] };

/**
 * The bill list's scope, with the billing point the user asked for (`requested`) checked against
 * it: a cashier asking for another point's bills gets E0005 naming `placeCode`.
 */
export async function billListScope(db: Db, v: Viewer, requested?: string): Promise<BillListScope> {
  const s = dataScope(v);
  if (s.kind === 'parties') return { kind: 'bills', billIds: [...(await partyReach(db, v)).billIds] };
  if (requested) {
    assertPoint(v, requested);
    return { kind: 'points', points: [requested] };
  }
  return s;
}

/**
 * The billing point a point-scoped read (reports, to-dos, paper stock) covers: the one asked for
 * if in scope, else the viewer's own; undefined is the whole hospital. A viewer with no point
 * (party-scoped, or a cashier without a point) gets `'-'`, which matches nothing.
 */
export function placeFilter(v: Viewer, requested?: string): string | undefined {
  const s = dataScope(v);
  if (requested) {
    assertPoint(v, requested);
    return requested;
  }
  if (s.kind === 'hospital') return undefined;
  return s.kind === 'points' && s.points.length ? s.points[0] : '-';
}

/**
 * The billing points a read over several points (the finance reports) covers: the one asked for
 * if in scope; undefined is the whole hospital; else every point of the viewer's scope (`['-']`,
 * which matches nothing, when there is none).
 */
export function placesFilter(v: Viewer, requested?: string): string[] | undefined {
  const s = dataScope(v);
  if (requested) {
    assertPoint(v, requested);
    return [requested];
  }
  if (s.kind === 'hospital') return undefined;
  return s.kind === 'points' && s.points.length ? [...s.points] : ['-'];
}

/** Refuses (E0005, naming `placeCode`) a billing point outside the viewer's scope. */
export function assertPoint(v: Viewer, placeCode: string): void {
  if (!pointInScope(v, placeCode)) {
    throw new DomainError('E0005', `placeCode: 无权访问开票点 ${placeCode} 的数据${v.placeCode ? `（本人所属开票点 ${v.placeCode}）` : ''}`, 'placeCode');
  }
}

/** Whether the viewer may read the bill (their point, the hospital, or a refund of it they are a party to). */
export async function mayReadBill(db: Db, v: Viewer, bill: { id: number; placeCode: string }): Promise<boolean> {
  if (pointInScope(v, bill.placeCode)) return true;
  if (dataScope(v).kind !== 'parties') return false;
  return (await partyReach(db, v)).billIds.has(bill.id);
}

/** The bill, or "not found" (E0030) when it is outside the viewer's scope. */
export async function assertReadBill(db: Db, v: Viewer, bill: { id: number; placeCode: string }): Promise<void> {
  if (!(await mayReadBill(db, v, bill))) throw new DomainError('E0030', `票据 ${bill.id} 不存在`);
}

/** An action on a bill (reversal, partial refund, paper, notices, a window refund): only in the viewer's point scope. */
export function assertActOnBill(v: Viewer, bill: { placeCode: string }): void {
  if (!pointInScope(v, bill.placeCode)) throw new DomainError('E0005', `placeCode: 只能处理本开票点${v.placeCode ? ` ${v.placeCode} ` : ''}的票据（该票据属于开票点 ${bill.placeCode}）`, 'placeCode');
}

/** Whether the viewer may read (and so comment on or act on) the refund. */
export async function mayReadRefund(db: Db, v: Viewer, r: RefundRow): Promise<boolean> {
  if (pointInScope(v, r.place_code)) return true;
  const { actedOn, copied, maxActedStep } = await refundTies(db, r.id, v.username);
  const position = refundPosition(r);
  return refundInScope(v, {
    placeCode: r.place_code,
    applicant: r.applicant,
    doctor: r.doctor,
    assignee: r.step_assignee,
    isTodo: isTodoFor(position, actorOf(v)),
    actedOn,
    copied,
    steps: position.steps,
    reachedStep: r.state === 'approving' ? r.step_index : (maxActedStep ?? 0),
  });
}

/** The refund, or "not found" (E0090) when it is outside the viewer's scope. */
export async function assertReadRefund(db: Db, v: Viewer, r: RefundRow): Promise<void> {
  if (!(await mayReadRefund(db, v, r))) throw new DomainError('E0090', `refundNo: 退费申请 ${r.id} 不存在`, 'refundNo');
}
