/**
 * What 系统管理 answers about a user (services/system.ts, web/src/api/system.ts): declared once
 * here for the service and the console. `Time` is a Date on the server and the ISO string the
 * JSON carries in the console.
 */
import type { DataScopeSetting } from './access';

export interface UserView<Time = string> {
  id: number;
  username: string;
  displayName: string;
  roles: string[];
  roleNames: string[];
  placeCode: string | null;
  active: boolean;
  /** The stored scope; null: the roles' default. */
  scope: DataScopeSetting | null;
  lastLoginAt: Time | null;
  locked: boolean;
  lockedUntil: Time | null;
  /** Open sessions now. */
  sessions: number;
  mfaEnrolled: boolean;
  oidcSubject: string | null;
  mustChangePassword: boolean;
  createdAt: Time;
}

/** One open session of a user. */
export interface UserSession<Time = string> {
  /** The first 8 characters of the session id. */
  id: string;
  createdAt: Time;
  lastSeenAt: Time;
  address: string;
}
