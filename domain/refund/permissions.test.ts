import { allowedActions, isTodoFor, mayAct, otherDeciders, TODO_STATES, withDecider, type RefundActor, type RefundPosition } from './permissions';
import { REFUND_ACTIONS, REFUND_STATES } from './states';

const steps = [
  { name: '门诊医生审核', roles: ['doctor'] },
  { name: '计财科审核', roles: ['finance'] },
];
const at = (over: Partial<RefundPosition> = {}): RefundPosition => ({ state: 'approving', stepIndex: 0, steps, assignee: null, placeCode: 'MZ01', ...over });
const user = (username: string, roles: string[], over: Partial<RefundActor> = {}): RefundActor => ({ username, displayName: username, roles, ...over });
const doctor = user('doctor', ['doctor']);
const doctor2 = user('doctor2', ['doctor']);
const finance = user('finance', ['finance']);
const admin = user('admin', ['admin']);
const cashier = user('cashier', ['cashier'], { placeCode: 'MZ01' });
const otherCashier = user('zy', ['cashier'], { placeCode: 'ZY01' });
const patient = user('patient:o123', [], { isApplicant: true });

test('the step decides: its roles, or the one it was transferred to; no one overrides', () => {
  expect(mayAct('approve', at(), doctor)).toEqual({ ok: true });
  expect(mayAct('approve', at(), finance)).toEqual({ ok: false, code: 'E0092', field: 'actor', message: 'actor: finance 无权处理「门诊医生审核」' });
  expect(mayAct('approve', at({ assignee: 'doctor2' }), doctor)).toMatchObject({ ok: false, message: 'actor: doctor 无权处理「门诊医生审核」（已转办给 doctor2）' });
  expect(mayAct('approve', at({ assignee: 'doctor2' }), doctor2).ok).toBe(true);
  expect(mayAct('reject', at({ assignee: 'doctor2' }), admin).ok).toBe(false);
  expect(mayAct('approve', at({ stepIndex: 1 }), admin).ok).toBe(false);
  expect(mayAct('withdraw', at(), admin).ok).toBe(false);
  expect(mayAct('retry_money', at({ state: 'refund_failed' }), admin).ok).toBe(false);
  expect(mayAct('approve', at({ state: 'refunding' }), doctor)).toEqual({ ok: false, code: 'E0092', field: 'state', message: 'state: 退费申请当前为退款中，不能同意' });
});

test('withdraw, window refunds and failed money: the workflow validator texts', () => {
  expect(mayAct('withdraw', at(), patient).ok).toBe(true);
  expect(mayAct('withdraw', at(), doctor)).toMatchObject({ ok: false, message: 'actor: 只有申请人可以撤回退费申请' });
  expect(mayAct('withdraw', at({ state: 'refunding' }), patient)).toMatchObject({ ok: false, code: 'E0092', message: 'state: 退费申请已审批通过（退款中），不能撤回' });
  const cashierStep = at({ state: 'awaiting_cashier' });
  expect(mayAct('cashier_confirm', cashierStep, cashier).ok).toBe(true);
  expect(mayAct('cashier_confirm', cashierStep, doctor)).toMatchObject({ ok: false, message: 'actor: 窗口退款须由收费员确认' });
  expect(mayAct('cashier_confirm', cashierStep, otherCashier)).toMatchObject({ ok: false, field: 'actor' });
  expect(mayAct('retry_money', at({ state: 'refund_failed' }), cashier)).toMatchObject({ ok: false, message: 'actor: 退款失败须由财务处理' });
  expect(mayAct('offline', at({ state: 'refund_failed' }), finance).ok).toBe(true);
});

test('the API offers exactly the actions the validator would accept', () => {
  const actors = [doctor, doctor2, finance, admin, cashier, otherCashier, patient];
  for (const state of REFUND_STATES) {
    for (const p of [at({ state }), at({ state, stepIndex: 1 }), at({ state, assignee: 'doctor2' })]) {
      for (const a of actors) {
        const offered = allowedActions(p, a);
        for (const action of REFUND_ACTIONS) expect([state, a.username, action, offered.includes(action)]).toEqual([state, a.username, action, mayAct(action, p, a).ok]);
      }
    }
  }
  expect(allowedActions(at(), doctor)).toEqual(['approve', 'reject', 'transfer', 'extend', 'comment']);
  expect(allowedActions(at({ stepIndex: 1 }), finance)).toEqual(['approve', 'reject', 'transfer', 'return', 'extend', 'comment']);
});

test("the to-do list: the refund's turn is the user's (not an admin's override), and the user may act on it", () => {
  const actors = [doctor, doctor2, finance, admin, cashier, otherCashier, patient];
  for (const state of REFUND_STATES) {
    for (const p of [at({ state }), at({ state, stepIndex: 1 }), at({ state, assignee: 'doctor2' })]) {
      for (const a of actors) {
        if (!isTodoFor(p, a)) continue;
        expect(TODO_STATES).toContain(state);
        expect(allowedActions(p, a).length).toBeGreaterThan(1); // more than a comment
      }
    }
  }
  expect(isTodoFor(at(), doctor)).toBe(true);
  expect(isTodoFor(at({ assignee: 'doctor2' }), doctor)).toBe(false);
  expect(isTodoFor(at(), admin)).toBe(false);
  expect(isTodoFor(at({ state: 'awaiting_cashier' }), cashier)).toBe(true);
  expect(isTodoFor(at({ state: 'awaiting_cashier' }), otherCashier)).toBe(false);
  expect(isTodoFor(at({ state: 'refund_failed' }), finance)).toBe(true);
  expect(isTodoFor(at({ state: 'done' }), finance)).toBe(false);
});

const doctorFinance = user('df', ['doctor', 'finance']);
const applicantFinance = user('finance', ['finance'], { isApplicant: true });

test('four eyes: the applicant decides no step of their own refund', () => {
  const own = at({ stepIndex: 1, applicant: 'finance' });
  for (const action of ['approve', 'reject', 'return', 'transfer'] as const) {
    expect(mayAct(action, own, finance)).toEqual({ ok: false, code: 'E0092', field: 'actor', message: 'actor: 申请人不能审批自己发起的退费申请' });
    expect(mayAct(action, at({ stepIndex: 1 }), applicantFinance)).toMatchObject({ ok: false, message: 'actor: 申请人不能审批自己发起的退费申请' });
  }
  expect(mayAct('approve', at({ stepIndex: 1, applicant: 'cashier' }), finance).ok).toBe(true);
  expect(isTodoFor(own, finance)).toBe(false);
  // The window cashier who applied still pays the money back at the window (not an approval step).
  expect(mayAct('cashier_confirm', at({ state: 'awaiting_cashier', applicant: 'cashier' }), user('cashier', ['cashier'], { placeCode: 'MZ01', isApplicant: true })).ok).toBe(true);
});

test('four eyes: who decided one step decides no other step of the same request', () => {
  let d = withDecider({}, 0, 'df');
  const p = at({ stepIndex: 1, decidedBy: otherDeciders(d, 1) });
  expect(mayAct('approve', p, doctorFinance)).toEqual({ ok: false, code: 'E0092', field: 'actor', message: 'actor: 同一人不能审批同一退费申请的两个环节（四眼原则）' });
  for (const action of ['reject', 'return', 'transfer'] as const) expect(mayAct(action, p, doctorFinance).ok).toBe(false);
  expect(allowedActions(p, doctorFinance)).toEqual(['extend', 'comment']); // a finance user may still extend a deadline
  expect(isTodoFor(p, doctorFinance)).toBe(false);
  expect(mayAct('approve', p, finance).ok).toBe(true);
  expect(isTodoFor(p, finance)).toBe(true);
  // finance returns step 1 to step 0: df may decide step 0 again, finance (who decided step 1) may not decide step 0.
  d = withDecider(d, 1, 'finance');
  expect(d).toEqual({ 0: ['df'], 1: ['finance'] });
  const back = at({ stepIndex: 0, decidedBy: otherDeciders(d, 0) });
  expect(mayAct('approve', back, doctorFinance).ok).toBe(true);
  expect(isTodoFor(back, doctorFinance)).toBe(true);
  const financeDoctor = user('finance', ['finance', 'doctor']);
  expect(mayAct('approve', back, financeDoctor)).toMatchObject({ ok: false, message: 'actor: 同一人不能审批同一退费申请的两个环节（四眼原则）' });
  // ...and on step 1 again, finance may re-decide it, df still may not.
  const again = at({ stepIndex: 1, decidedBy: otherDeciders(withDecider(d, 0, 'df'), 1) });
  expect(mayAct('approve', again, finance).ok).toBe(true);
  expect(mayAct('approve', again, doctorFinance).ok).toBe(false);
});

test('the API offers exactly what the validator accepts under the four-eyes rules too', () => {
  const actors = [doctor, doctorFinance, finance, applicantFinance, cashier];
  for (const p of [at({ stepIndex: 1, decidedBy: ['df'] }), at({ applicant: 'doctor' }), at({ stepIndex: 1, decidedBy: ['finance'], applicant: 'cashier' })]) {
    for (const a of actors) for (const action of REFUND_ACTIONS) expect([a.username, action, allowedActions(p, a).includes(action)]).toEqual([a.username, action, mayAct(action, p, a).ok]);
  }
});
