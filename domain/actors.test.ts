import { actorDisplayName, actorKeys, BILL_EVENT_TASKS, REFUND_ACTION_TASKS, type ActorDirectory } from './actors';

const dir: ActorDirectory = {
  users: new Map([['cashier', '门诊收费员 李敏']]),
  apps: new Map([['MEDBILL_DEMO_HIS', 'HIS（演示）']]),
};

test('actors by display name: users, the HIS app, the system with its task, patients; never a raw key', () => {
  expect(actorDisplayName('cashier', dir)).toBe('门诊收费员 李敏');
  expect(actorDisplayName('HIS:MEDBILL_DEMO_HIS', dir)).toBe('HIS 接口（HIS（演示））');
  expect(actorDisplayName('his:MEDBILL_DEMO_HIS', dir, { person: '李敏' })).toBe('HIS 接口（HIS（演示）） 李敏');
  expect(actorDisplayName('HIS:OTHER', dir)).toBe('HIS 接口（OTHER）');
  expect(actorDisplayName('system:fiscal-upload', dir)).toBe('系统（财政上传）');
  expect(actorDisplayName('system:fiscal-account', dir)).toBe('系统（财政入账查询）');
  expect(actorDisplayName('system', dir, { task: BILL_EVENT_TASKS.notified })).toBe('系统（交付）');
  expect(actorDisplayName('system', dir, { task: REFUND_ACTION_TASKS.money_back })).toBe('系统（退款）');
  expect(actorDisplayName(null, dir)).toBe('系统');
  expect(actorDisplayName('patient:o123', dir, { person: '患者 张三' })).toBe('患者 张三');
  expect(actorDisplayName('patient', dir)).toBe('患者');
  // A name as the HIS sent it (an operator) stays as it is; an unknown user falls back to the stored name.
  expect(actorDisplayName('门诊收费员 李敏', dir)).toBe('门诊收费员 李敏');
  expect(actorDisplayName('gone', dir, { person: '已离职 王某' })).toBe('已离职 王某');
  for (const a of ['HIS:MEDBILL_DEMO_HIS', 'system:fiscal-upload', 'system']) expect(actorDisplayName(a, dir)).not.toMatch(/HIS:|system/);
});

test('the directory is asked only for usernames and appids', () => {
  expect(actorKeys(['cashier', 'HIS:A', 'his:B', 'system', 'system:fiscal-upload', 'patient:x', null, ''])).toEqual({ usernames: ['cashier'], appids: ['A', 'B'] });
});
