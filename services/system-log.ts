/**
 * Where system-management changes go to the operation log. Until the operation log's store lands
 * (issue 14 point 4), the entries are checked for shape and kept nowhere; the call sites are final.
 */
import type { SqlEm } from '../orm/sql';

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

export async function recordChange(_tx: SqlEm, _actor: Actor, _e: ChangeEntry): Promise<void> {
  // LOGS: recordOperation(tx, { actor, address: actor.address, result: 'ok', ...e })
}
