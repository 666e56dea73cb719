/** The names behind stored actors (domain/actors.ts): console users' display names, HIS apps' names. */
import { onConnection, type Db } from './db';

export interface ActorRows {
  users: Array<{ username: string; displayName: string }>;
  apps: Array<{ appid: string; name: string }>;
}

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** The users and HIS apps of these keys (unknown keys are left out). */
export async function actorRows(db: Db, keys: { usernames: readonly string[]; appids: readonly string[] }): Promise<ActorRows> {
  const usernames = keys.usernames.slice(0, 500);
  const appids = keys.appids.slice(0, 100);
  const [users, apps] = await Promise.all([
    usernames.length
      ? onConnection<Array<{ username: string; display_name: string }>>(db, `select username, display_name from user where username in (${marks(usernames.length)})`, [...usernames])
      : Promise.resolve([]),
    appids.length ? onConnection<Array<{ appid: string; name: string }>>(db, `select appid, name from his_app where appid in (${marks(appids.length)})`, [...appids]) : Promise.resolve([]),
  ]);
  return {
    users: users.map((u) => ({ username: u.username, displayName: u.display_name })),
    apps: apps.map((a) => ({ appid: a.appid, name: a.name })),
  };
}
