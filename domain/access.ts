/**
 * Who sees what: the one data-scope and disclosure policy of the console. Routes never decide
 * scope themselves; they ask services/access.ts, which applies these rules to the data.
 *
 * - Data scope: a user's stored scope (hospital, campuses or billing points; a campus or a point
 *   covers every point nested below it), set by the security administrator; without one, the
 *   role's default: finance and audit see the whole hospital; a cashier sees the bills and refunds
 *   of their billing point (a cashier with no point sees none); doctors, department users and the
 *   administrators see only the refunds they are a party to (on their to-do now or once, decided,
 *   applied for, copied to, transferred to, or the patient's own doctor) and the bills of the
 *   refunds on their to-do now or that name them.
 * - Disclosure by permission: the patient's ID number, phone and e-mail in clear need
 *   `bill:identity` (the window and finance); the signed text (which carries the full ID number)
 *   needs `bill:signed-text`. Every other viewer gets them masked.
 *
 * Pure (domain only): the console imports the masks to render the same way.
 */

export interface Viewer {
  username: string;
  roles: readonly string[];
  /** The billing point a cashier works at. */
  placeCode?: string | null;
  /** The permissions of the viewer's roles (domain/permissions.ts codes). */
  permissions?: readonly string[];
  /** The viewer's stored scope, resolved against the billing-point tree (resolveScope); absent: the role's default. */
  scope?: DataScope;
}

export type DataScope =
  /** Every bill and refund of the hospital. */
  | { kind: 'hospital' }
  /** Bills and refunds of these billing points only (possibly none). */
  | { kind: 'points'; points: string[] }
  /** Only the refunds the viewer is a party to, and their bills. */
  | { kind: 'parties' };

/** A user's stored data scope: a campus or a point covers every point nested below it. */
export type DataScopeSetting =
  | { kind: 'hospital' }
  | { kind: 'campus'; campuses: string[] }
  | { kind: 'points'; points: string[] }
  | { kind: 'parties' };


/** The roles whose default scope is the whole hospital. */
export const HOSPITAL_ROLES = ['finance', 'audit'] as const;

/** The role's default scope (a user without a stored one). */
export function defaultDataScope(v: Pick<Viewer, 'roles' | 'placeCode'>): DataScope {
  if (HOSPITAL_ROLES.some((r) => v.roles.includes(r))) return { kind: 'hospital' };
  if (v.roles.includes('cashier')) return { kind: 'points', points: v.placeCode ? [v.placeCode] : [] };
  return { kind: 'parties' };
}

export function dataScope(v: Viewer): DataScope {
  return v.scope ?? defaultDataScope(v);
}

/** A billing point of the tree a scope is resolved against. */
export interface PointNode {
  code: string;
  parentCode: string | null;
}

/** The stored setting as the points it covers: a campus or a point with every point nested below it (cycles and unknown codes tolerated). */
export function resolveScope(setting: DataScopeSetting, tree: readonly PointNode[]): DataScope {
  if (setting.kind === 'hospital' || setting.kind === 'parties') return { kind: setting.kind };
  const roots = setting.kind === 'campus' ? setting.campuses : setting.points;
  const children = new Map<string, string[]>();
  for (const p of tree) if (p.parentCode) children.set(p.parentCode, [...(children.get(p.parentCode) ?? []), p.code]);
  const known = new Set(tree.map((p) => p.code));
  const seen = new Set<string>();
  const walk = (code: string) => {
    if (seen.has(code) || !known.has(code)) return;
    seen.add(code);
    for (const c of children.get(code) ?? []) walk(c);
  };
  roots.forEach(walk);
  return { kind: 'points', points: [...seen].sort() };
}

/** Why a stored scope setting is malformed (Chinese, naming the field), or undefined. */
export function scopeSettingProblem(v: unknown, tree: readonly (PointNode & { kind?: string })[]): string | undefined {
  if (v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) return 'scope: 数据范围格式不正确';
  const s = v as Record<string, unknown>;
  if (s.kind === 'hospital' || s.kind === 'parties') return Object.keys(s).length === 1 ? undefined : 'scope: 数据范围格式不正确';
  const field = s.kind === 'campus' ? 'campuses' : s.kind === 'points' ? 'points' : undefined;
  if (!field) return 'scope.kind: 数据范围应为 全院、院区、开票点 或 仅本人相关';
  const list = s[field];
  if (!Array.isArray(list) || list.length === 0 || list.length > 200 || list.some((c) => typeof c !== 'string')) return `scope.${field}: 请选择 1 至 200 个${field === 'campuses' ? '院区' : '开票点'}`;
  for (const code of list as string[]) {
    const p = tree.find((t) => t.code === code);
    if (!p) return `scope.${field}: ${field === 'campuses' ? '院区' : '开票点'} ${code.slice(0, 32)} 不存在`;
    if (field === 'campuses' && p.kind !== 'campus') return `scope.campuses: ${code} 不是院区`;
  }
  return undefined;
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

/** Whether the viewer may see the patient's identity in clear (`bill:identity`: the window and finance by default). */
export const revealsIdentity = (v: Viewer): boolean => !!v.permissions?.includes('bill:identity');

/** Whether the viewer gets the signed canonical text (it holds the full ID number): `bill:signed-text`. */
export const seesSignedText = (v: Viewer): boolean => !!v.permissions?.includes('bill:signed-text');

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
