/**
 * Names the actors of a view (bill and refund timelines, notices, requisitions) by the one rule of
 * domain/actors.ts: loads the users and HIS apps the actors name, once per view.
 */
import { actorDisplayName, actorKeys, type ActorDirectory } from '../domain/actors';
import { actorRows } from '../orm/repositories/actors';
import type { Db } from '../orm/repositories/db';

/** The directory for these stored actors: their users' display names and HIS apps' names. */
export async function actorDirectory(db: Db, actors: ReadonlyArray<string | null | undefined>): Promise<ActorDirectory> {
  const rows = await actorRows(db, actorKeys(actors));
  return { users: new Map(rows.users.map((u) => [u.username, u.displayName])), apps: new Map(rows.apps.map((a) => [a.appid, a.name])) };
}

/** A namer for these actors: `name(actor, { task, person })` as domain/actors.ts actorDisplayName. */
export async function actorNamer(db: Db, actors: ReadonlyArray<string | null | undefined>) {
  const dir = await actorDirectory(db, actors);
  return (actor: string | null | undefined, opts: { task?: string; person?: string | null } = {}) => actorDisplayName(actor, dir, opts);
}
