/**
 * The permission catalogue and the three-administrator separation (三员分立): the one list of
 * what a console user may open (menus) and do (buttons, and the API routes behind them), the
 * built-in roles with the permissions they start with, and the rules a role and a user must keep.
 * Roles are data (editable in the console, `role` / `role_permission`); this module is the code
 * the server checks a role's permissions against, and the console renders menus and buttons from
 * the permissions the server answers with (never from role lists of its own).
 *
 * Pure (domain only): the API, the services and the console import it.
 */

/** What a permission belongs to: the separation rules are stated on these groups. */
export type PermissionGroup =
  /** Business processes that touch money or bills (issue, reverse, refund, paper, stock...). */
  | 'business'
  /** Reading business data (bills, refunds, reports), no action. */
  | 'read'
  /** Configuration: billing points, basic data, code mapping, refund chains (the system administrator). */
  | 'config'
  /** Users, roles, data scopes, unlocks (the security administrator). */
  | 'security'
  /** The operation and exchange logs (the audit administrator). */
  | 'audit';

export interface PermissionDef {
  code: string;
  name: string;
  /** A menu opens a console page; a button is an action on one (and the API routes behind it). */
  type: 'menu' | 'button';
  group: PermissionGroup;
  /** For a button: the menu it sits on. */
  menu?: string;
}

const menu = (code: string, name: string, group: PermissionGroup): PermissionDef => ({ code: `menu:${code}`, name, type: 'menu', group });
const button = (code: string, name: string, group: PermissionGroup, menuCode: string): PermissionDef => ({ code, name, type: 'button', group, menu: `menu:${menuCode}` });

export const PERMISSIONS: readonly PermissionDef[] = [
  menu('bills', '票据查询', 'read'),
  button('bill:identity', '查看患者身份信息（明文）', 'read', 'bills'),
  button('bill:signed-text', '查看签名原文', 'read', 'bills'),
  button('bill:write-off', '冲红', 'business', 'bills'),
  button('bill:partial-refund', '部分退费冲红', 'business', 'bills'),
  button('bill:notice-resend', '重发通知', 'business', 'bills'),
  menu('online-issue', '在线开具', 'business'),
  button('bill:online-issue', '在线开具、批量导入开票', 'business', 'online-issue'),
  menu('todos', '待办事项', 'read'),
  menu('paper', '纸质票据', 'business'),
  button('paper:act', '换开/作废纸质票据、补打', 'business', 'paper'),
  menu('refunds', '退费审批', 'read'),
  button('refund:apply', '发起退费申请', 'business', 'refunds'),
  button('refund:decide', '审批退费（按流程步骤的角色）', 'business', 'refunds'),
  button('refund:cashier-confirm', '窗口退款确认', 'business', 'refunds'),
  button('refund:money', '退款失败处理（重试/线下退款）', 'business', 'refunds'),
  menu('refund-chains', '退费流程配置', 'config'),
  button('refund-chain:edit', '修改退费流程', 'config', 'refund-chains'),
  menu('requisitions', '票据申领', 'business'),
  button('stock:act', '申领、入库、分发票据', 'business', 'requisitions'),
  menu('stock', '库存管理/分发', 'business'),
  menu('points', '开票点', 'config'),
  button('point:edit', '维护开票点', 'config', 'points'),
  menu('basic-data', '基础数据', 'config'),
  button('basic-data:edit', '同步/维护基础数据', 'config', 'basic-data'),
  menu('seals', '印章管理', 'config'),
  button('seal:edit', '维护印章（图片、编码、有效期）', 'config', 'seals'),
  menu('code-mapping', '编码对照', 'config'),
  button('code-mapping:edit', '维护编码对照', 'config', 'code-mapping'),
  menu('upload', '上传管理', 'read'),
  button('upload:act', '上传/重传/对账', 'business', 'upload'),
  menu('reports', '报表', 'read'),
  button('report:export', '导出报表', 'read', 'reports'),
  button('report:stock', '查看库存报表', 'read', 'reports'),
  menu('archive', '票据档案', 'read'),
  button('archive:check', '执行四性检测', 'business', 'archive'),
  button('archive:destroy', '档案销毁（提出、审批）', 'business', 'archive'),
  menu('system-users', '用户管理', 'security'),
  button('user:edit', '新增/修改/停用用户、重置密码、解锁、下线', 'security', 'system-users'),
  menu('system-roles', '角色权限', 'security'),
  button('role:edit', '新增/修改角色及其权限', 'security', 'system-roles'),
  menu('collectors', '开票员对照', 'security'),
  button('collector:edit', '维护开票员与 HIS 收费员对照', 'security', 'collectors'),
  menu('audit-operations', '操作日志', 'audit'),
  menu('audit-exchanges', '交互日志', 'audit'),
  button('exchange:decrypt', '解密交互报文', 'audit', 'audit-exchanges'),
  button('log:verify', '校验日志完整性', 'audit', 'audit-operations'),
];

const BY_CODE = new Map(PERMISSIONS.map((p) => [p.code, p]));
export const permissionDef = (code: string): PermissionDef | undefined => BY_CODE.get(code);
export const isPermission = (code: string): boolean => BY_CODE.has(code);

/**
 * A role's kind: a business role, or one of the three administrators. A user who holds an
 * administrator role holds no other role.
 */
export type RoleKind = 'business' | 'sysadmin' | 'secadmin' | 'auditadmin';
export const ADMIN_KINDS: readonly RoleKind[] = ['sysadmin', 'secadmin', 'auditadmin'];
export const ROLE_KIND_NAMES: Record<RoleKind, string> = { business: '业务角色', sysadmin: '系统管理员', secadmin: '安全管理员', auditadmin: '审计管理员' };

/** The permission groups each kind of role may hold. */
export const KIND_GROUPS: Readonly<Record<RoleKind, readonly PermissionGroup[]>> = {
  business: ['business', 'read', 'config'],
  // configuration only: no money, no bills, no users or roles
  sysadmin: ['config'],
  // users, roles, scopes, unlocks: no business process
  secadmin: ['security'],
  // reads the logs, nothing else
  auditadmin: ['audit'],
};

export interface RoleDef {
  code: string;
  name: string;
  kind: RoleKind;
  permissions: string[];
}

const all = (...groups: PermissionGroup[]) => PERMISSIONS.filter((p) => groups.includes(p.group)).map((p) => p.code);

/** The built-in roles (seeded, then editable) with the permissions they had before roles were data. */
export const BUILTIN_ROLES: readonly RoleDef[] = [
  {
    code: 'cashier',
    name: '收费员',
    kind: 'business',
    permissions: ['menu:bills', 'bill:identity', 'bill:signed-text', 'bill:write-off', 'bill:partial-refund', 'bill:notice-resend', 'menu:todos', 'menu:paper', 'paper:act', 'menu:refunds', 'refund:apply', 'refund:decide', 'refund:cashier-confirm', 'menu:reports', 'report:export'],
  },
  { code: 'doctor', name: '医生', kind: 'business', permissions: ['menu:bills', 'menu:refunds', 'refund:decide'] },
  { code: 'department', name: '执收科室', kind: 'business', permissions: ['menu:bills', 'menu:refunds', 'refund:decide'] },
  {
    code: 'finance',
    name: '财务',
    kind: 'business',
    permissions: [...all('business', 'read'), 'menu:refund-chains', 'refund-chain:edit', 'basic-data:edit', 'menu:basic-data', 'menu:code-mapping', 'code-mapping:edit', 'menu:points', 'point:edit', 'menu:seals', 'seal:edit'],
  },
  { code: 'audit', name: '稽核', kind: 'business', permissions: ['menu:bills', 'menu:todos', 'menu:upload', 'menu:reports', 'report:export', 'report:stock'] },
  { code: 'sysadmin', name: '系统管理员', kind: 'sysadmin', permissions: all('config') },
  { code: 'secadmin', name: '安全管理员', kind: 'secadmin', permissions: all('security') },
  { code: 'auditadmin', name: '审计管理员', kind: 'auditadmin', permissions: all('audit') },
];

/** Why a role of `kind` may not hold `permissions` (the first problem, in Chinese), or undefined. */
export function rolePermissionProblem(kind: RoleKind, permissions: readonly string[]): string | undefined {
  const allowed = KIND_GROUPS[kind];
  for (const code of permissions) {
    const def = BY_CODE.get(code);
    if (!def) return `未知权限「${code}」`;
    if (!allowed.includes(def.group)) return `${ROLE_KIND_NAMES[kind]}不能拥有权限「${def.name}」（三员分立）`;
  }
  return undefined;
}

/** Why a user may not hold these roles together, or undefined: an administrator holds one role only. */
export function userRolesProblem(roles: ReadonlyArray<{ code: string; name: string; kind: RoleKind }>): string | undefined {
  const admins = roles.filter((r) => r.kind !== 'business');
  if (admins.length > 0 && roles.length > 1) {
    const a = admins[0];
    const other = roles.find((r) => r !== a)!;
    return `${ROLE_KIND_NAMES[a.kind]}角色「${a.name}」不能与角色「${other.name}」同时授予一个用户（三员分立）`;
  }
  return undefined;
}

/** Whether a user with these role kinds must sign in with a second factor (the administrators and finance). */
export function mfaRequired(roles: ReadonlyArray<{ code: string; kind: RoleKind }>): boolean {
  return roles.some((r) => r.kind !== 'business' || r.code === 'finance');
}

/**
 * The permission each refund action needs on top of the chain's own rules (domain/refund/permissions.ts
 * decides whose turn it is): deciding a step, the window's confirmation, the money's failure handling.
 */
export const REFUND_ACTION_PERMISSION: Readonly<Record<string, string>> = {
  approve: 'refund:decide',
  reject: 'refund:decide',
  return: 'refund:decide',
  transfer: 'refund:decide',
  extend: 'refund:decide',
  withdraw: 'menu:refunds',
  comment: 'menu:refunds',
  cashier_confirm: 'refund:cashier-confirm',
  retry_money: 'refund:money',
  offline: 'refund:money',
};

