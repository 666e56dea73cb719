/**
 * Where system-management changes (services/system.ts: users, roles, scopes, collectors) go to the
 * operation log (services/operation-log.ts): appended inside the change's own transaction, so the
 * change and its row commit together. The action `user.create` is logged as `user-create` (the
 * log's one vocabulary, domain/operation-log.ts).
 */
import type { SqlEm } from '../orm/sql';
import { recordOperation } from './operation-log';

export interface Actor {
  username: string;
  displayName?: string;
  address?: string;
}

export interface ChangeEntry {
  action: string;
  objectType: string;
  objectId: string;
  detail: string;
  before?: unknown;
  after?: unknown;
}

export async function recordChange(tx: SqlEm, actor: Actor, e: ChangeEntry): Promise<void> {
  await recordOperation(tx, {
    username: actor.username,
    displayName: actor.displayName,
    address: actor.address,
    action: e.action.replace(/\./g, '-'),
    objectType: e.objectType,
    objectId: e.objectId,
    result: 'ok',
    detail: e.detail,
    before: e.before,
    after: e.after,
  });
}
