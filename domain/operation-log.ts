/**
 * The operation log's vocabulary (操作日志): what each action and result is called in the console.
 * Pure, for the services and the console alike.
 */

export const OPERATION_ACTIONS: Record<string, string> = {
  login: '登录',
  'login-failed': '登录失败',
  locked: '账号锁定',
  logout: '退出登录',
  'password-change': '修改密码',
  'password-reset': '重置密码',
  unlock: '解除锁定',
  'user-create': '新增用户',
  'user-update': '修改用户',
  'user-activate': '启用用户',
  'user-deactivate': '停用用户',
  'user-reset-password': '重置用户密码',
  'user-unlock': '解锁用户',
  'user-revoke-sessions': '强制下线',
  'role-create': '新增角色',
  'role-update': '修改角色',
  'role-delete': '删除角色',
  'collector-update': '修改开票员对照',
  'user-reset-mfa': '重置动态口令',
  'mfa-enrol': '绑定身份验证器',
  'mfa-recovery-codes': '重新生成恢复码',
  'business-change': '业务操作',
  'bill-identity-read': '查看患者身份信息',
  'bill-pdf': '下载票据版式文件',
  'report-export': '导出报表',
  'log-verify': '校验操作日志',
  'log-archive': '归档操作日志',
  'exchange-decrypt': '解密交互报文',
  'exchange-export': '导出交互日志（解密）',
  'exchange-verify': '校验交互日志',
  'archive-read': '查阅票据档案',
  'archive-check': '档案四性检测',
  'archive-destroy-propose': '提出档案销毁',
  'archive-destroy-approve': '审批档案销毁',
};

export const OPERATION_RESULTS: Record<string, string> = {
  ok: '成功',
  refused: '拒绝',
  failed: '失败',
  broken: '校验未通过',
};

/** How a verification names the first break of the chain. */
export type ChainBreakKind = 'edited' | 'deleted' | 'reordered';

export const CHAIN_BREAK_NAMES: Record<ChainBreakKind, string> = {
  edited: '记录被修改',
  deleted: '记录被删除',
  reordered: '记录顺序被调换',
};

/** The username of the platform's own entries (the daily verification and archive). */
export const SYSTEM_ACTOR = 'system';
