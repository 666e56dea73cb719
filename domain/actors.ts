/**
 * Who did a step, as a person reads it in the console: the one rule for bill timelines, notices,
 * refund timelines and requisition timelines. Stored actors are keys: a console username,
 * `HIS:{appid}` (or `his:{appid}`), `system` or `system:{task}`, `patient[:...]`, or a name as the
 * HIS sent it (an operator). Pure, so the console and the workflows can import it.
 *
 *   system:fiscal-upload          -> 系统（财政上传）
 *   system (on a notice event)    -> 系统（交付）
 *   HIS:MEDBILL_DEMO_HIS          -> HIS 接口（演示医院 HIS）
 *   cashier (a console user)      -> 门诊收费员 李敏 (the user's display name)
 */

/** What the platform does by itself, by the task named in `system:{task}`. */
export const SYSTEM_TASKS: Record<string, string> = {
  'fiscal-upload': '财政上传',
  'fiscal-account': '财政入账查询',
  delivery: '交付',
  'stock-alarm': '库存预警',
  requisition: '票据申领',
  reversal: '冲红',
  reissue: '部分退费重开',
  paper: '纸质票据',
  refund: '退费流程',
  deadline: '审批时限',
  money: '退款',
};

/** The task of a bare `system` actor, by the bill event it wrote (domain/bill/events.ts). */
export const BILL_EVENT_TASKS: Record<string, string> = {
  issued: '开票',
  notified: '交付',
  notice_failed: '交付',
  notice_resent: '交付',
  card_inserted: '交付',
  layout_printed: '打印',
  slip_printed: '打印',
  reversal_requested: '冲红',
  awaiting_paper: '冲红',
  paper_reminder: '纸质票据催收',
  reversed: '冲红',
  reissue_requested: '部分退费重开',
  reissued: '部分退费重开',
  reissue_blocked: '部分退费重开',
  reissue_abandoned: '部分退费重开',
  uploaded: '财政上传',
  upload_rejected: '财政上传',
  upload_requeued: '财政上传',
  accounted: '财政入账查询',
};

/** The task of a bare `system` actor, by the refund timeline action it wrote (domain/refund/names.ts). */
export const REFUND_ACTION_TASKS: Record<string, string> = {
  submit: '退费流程',
  remind: '审批时限',
  escalate: '审批时限',
  money_sent: '退款',
  money_back: '退款',
  money_failed: '退款',
  bill_reversed: '票据冲红',
  bill_reissued: '票据重开',
  bill_blocked: '票据重开',
  bill_changed: '退费流程',
  notified: '交付',
  state: '退费流程',
};

/** The task of a bare `system` actor on a requisition's timeline. */
export const REQUISITION_EVENT_TASKS: Record<string, string> = {
  sent: '财政申领',
  received: '财政申领',
  returned: '财政申领',
  approved: '财政申领',
};

/** Names the rule needs from the store: console users by username, HIS apps by appid. */
export interface ActorDirectory {
  /** username -> display name */
  users: ReadonlyMap<string, string>;
  /** appid -> the app's name */
  apps: ReadonlyMap<string, string>;
}

export const EMPTY_DIRECTORY: ActorDirectory = { users: new Map(), apps: new Map() };

/** The appid of an `HIS:{appid}` / `his:{appid}` actor, else undefined. */
export const hisAppOf = (actor: string): string | undefined => (/^his:/i.test(actor) ? actor.slice(4) : undefined);

/** `HIS 接口（演示医院 HIS）`: the app's name, else its appid. */
export const hisActorName = (appid: string, dir: ActorDirectory = EMPTY_DIRECTORY): string => `HIS 接口（${dir.apps.get(appid) || appid || '未知应用'}）`;

/** `系统（财政上传）`, or `系统` when the task is not known. */
export const systemActorName = (task?: string): string => (task ? `系统（${task}）` : '系统');

/**
 * The display name of a stored actor. `task` names what a bare `system` did (from the event or
 * action it wrote: BILL_EVENT_TASKS, REFUND_ACTION_TASKS); `person` is a name stored beside the
 * actor (an HIS operator, a patient's name), shown after the HIS app.
 */
export function actorDisplayName(actor: string | null | undefined, dir: ActorDirectory = EMPTY_DIRECTORY, opts: { task?: string; person?: string | null } = {}): string {
  const a = (actor ?? '').trim();
  if (!a || a === 'system') return systemActorName(opts.task);
  if (a.startsWith('system:')) {
    const t = a.slice('system:'.length);
    return systemActorName(SYSTEM_TASKS[t] ?? opts.task);
  }
  const appid = hisAppOf(a);
  if (appid !== undefined) {
    const person = opts.person?.trim();
    const his = hisActorName(appid, dir);
    return person && person !== 'HIS' && !person.startsWith('HIS') ? `${his} ${person}` : his;
  }
  if (a === 'patient' || a.startsWith('patient:')) {
    const person = opts.person?.trim();
    return person && person.startsWith('患者') ? person : person ? `患者 ${person}` : '患者';
  }
  const user = dir.users.get(a);
  if (user) return user;
  // A name as the HIS or a console form sent it (an operator), or a stored display name.
  return opts.person?.trim() || a;
}

/** Console usernames and HIS appids among stored actors: what the directory must hold to name them. */
export function actorKeys(actors: ReadonlyArray<string | null | undefined>): { usernames: string[]; appids: string[] } {
  const usernames = new Set<string>();
  const appids = new Set<string>();
  for (const raw of actors) {
    const a = (raw ?? '').trim();
    if (!a || a === 'system' || a.startsWith('system:') || a === 'patient' || a.startsWith('patient:')) continue;
    const appid = hisAppOf(a);
    if (appid !== undefined) appids.add(appid);
    else usernames.add(a);
  }
  return { usernames: [...usernames], appids: [...appids] };
}
