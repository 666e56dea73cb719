/**
 * Who sees what: the one data-scope and disclosure policy of the console. Routes never decide
 * scope themselves; they ask services/access.ts, which applies these rules to the data.
 *
 * - Data scope by job: finance, audit and admin see the whole hospital; a cashier sees the bills
 *   and refunds of their billing point (a cashier with no point sees none); doctors and
 *   department users see only the refunds they are a party to (on their to-do now or once, decided,
 *   applied for, copied to, transferred to, or the patient's own doctor) and the bills of the
 *   refunds on their to-do now or that name them.
 * - Disclosure by job: the patient's ID number, phone and e-mail are masked for every role that
 *   does not serve the patient or check the money (doctor, department, audit); the signed text
 *   (which carries the full ID number) goes only to roles that act on bills (cashier, finance, admin).
 *
 * Pure (domain only): the console imports the masks to render the same way.
 */

export interface Viewer {
  username: string;
  roles: readonly string[];
  /** The billing point a cashier works at. */
  placeCode?: string | null;
}

export type DataScope =
  /** Every bill and refund of the hospital. */
  | { kind: 'hospital' }
  /** Bills and refunds of these billing points only (possibly none). */
  | { kind: 'points'; points: string[] }
  /** Only the refunds the viewer is a party to, and their bills. */
  | { kind: 'parties' };

/** A user's stored data scope (CONTRACT issue 14): a campus or a point covers every point nested below it. */
export type DataScopeSetting =
  | { kind: 'hospital' }
  | { kind: 'campus'; campuses: string[] }
  | { kind: 'points'; points: string[] }
  | { kind: 'parties' };

const has = (v: Viewer, ...roles: string[]) => roles.some((r) => v.roles.includes(r));

/** The roles that see the whole hospital. */
export const HOSPITAL_ROLES = ['admin', 'finance', 'audit'] as const;

export function dataScope(v: Viewer): DataScope {
  if (has(v, ...HOSPITAL_ROLES)) return { kind: 'hospital' };
  if (has(v, 'cashier')) return { kind: 'points', points: v.placeCode ? [v.placeCode] : [] };
  return { kind: 'parties' };
}

/** Whether the billing point `placeCode` is in a point-scoped or hospital-wide viewer's scope (parties: false; their rows are checked one by one). */
export function pointInScope(v: Viewer, placeCode: string): boolean {
  const s = dataScope(v);
  return s.kind === 'hospital' || (s.kind === 'points' && s.points.includes(placeCode));
}

/** What a viewer knows of one refund, to decide whether they are a party to it. */
export interface RefundParties {
  placeCode: string;
  applicant: string | null;
  doctor: string | null;
  assignee: string | null;
  /** the refund is on the viewer's to-do list now */
  isTodo: boolean;
  /** the viewer has acted on it (decided, commented, confirmed...) */
  actedOn: boolean;
  /** the refund was copied (抄送) to the viewer */
  copied: boolean;
  /** the chain's steps and the furthest one the refund reached (a step there once was on the to-do of its roles) */
  steps: ReadonlyArray<{ roles: readonly string[] }>;
  reachedStep: number;
}

/**
 * Whether the refund was once on the viewer's to-do list by role: a step it reached is one of
 * the viewer's roles, and not the first step given to the patient's own doctor (a named doctor
 * owns that step alone). A transfer hands one step on; those who had it keep reading it.
 */
export function wasOnTodo(v: Viewer, r: Pick<RefundParties, 'steps' | 'reachedStep' | 'doctor'>): boolean {
  return r.steps.some((step, i) => i <= r.reachedStep && !(i === 0 && r.doctor && step.roles.includes('doctor')) && step.roles.some((role) => v.roles.includes(role)));
}

export function refundInScope(v: Viewer, r: RefundParties): boolean {
  if (pointInScope(v, r.placeCode)) return true;
  return r.isTodo || r.actedOn || r.copied || [r.applicant, r.doctor, r.assignee].includes(v.username) || wasOnTodo(v, r);
}

/** Whether the viewer's job needs the patient's identity in clear: the window (cashier) and finance. */
export const revealsIdentity = (v: Viewer): boolean => has(v, 'cashier', 'finance');

/** Whether the viewer gets the signed canonical text (it holds the full ID number): roles that act on bills. */
export const seesSignedText = (v: Viewer): boolean => has(v, 'cashier', 'finance', 'admin');

/** `110101199003071234` -> `**************1234`: all but the last 4 characters starred. */
export function maskIdCard(id: string): string {
  const s = id.trim();
  return s.length <= 4 ? '*'.repeat(s.length) : '*'.repeat(s.length - 4) + s.slice(-4);
}

/** `13800138000` -> `138****8000` (shorter than 7: all starred). */
export function maskPhone(s: string): string {
  return s.length < 7 ? '*'.repeat(s.length) : `${s.slice(0, 3)}****${s.slice(-4)}`;
}

/** `zhang.wei@example.com` -> `z***@example.com`. */
export function maskEmail(s: string): string {
  const at = s.lastIndexOf('@');
  return at < 1 ? '*'.repeat(s.length) : `${s[0]}***${s.slice(at)}`;
}

/** A notice target as the viewer may see it: enough to recognise, not enough to harvest (a phone, an e-mail, or a WeChat openID). */
export function maskTarget(channel: string, target: string): string {
  if (channel === 'sms') return maskPhone(target);
  if (channel === 'email') return maskEmail(target);
  return `${target.slice(0, 4)}…`;
}

/** The viewer's view of identity values: clear for the roles that need them, masked for the others. */
export function identityView(v: Viewer) {
  const clear = revealsIdentity(v);
  const shown = (mask: (s: string) => string) => (s: string | null | undefined) => (clear || !s ? s : mask(s));
  return {
    idCard: shown(maskIdCard),
    phone: shown(maskPhone),
    email: shown(maskEmail),
    target: (channel: string, s: string | null | undefined) => shown((t) => maskTarget(channel, t))(s),
    /** patientId: the HIS's patient identifier (often a card or ID number) */
    patientId: shown(maskIdCard),
  };
}
