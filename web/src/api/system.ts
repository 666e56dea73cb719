/**
 * 系统管理 (api/console/system.ts): users, roles and their permissions, data scopes, the billing
 * points for the scope picker, the HIS cashier mapping (开票员对照). The rules (三员分立, no
 * self-edit, one security administrator kept) are the server's: a refusal is an ApiError E0013
 * with the server's Chinese message, a bad field an ApiError naming the field.
 */
import type { PermissionDef, PermissionGroup, RoleKind } from '@domain/permissions';
import type { DataScopeSetting } from '@domain/access';
import type { UserSession, UserView } from '@domain/system';
import { http, request, type RequestOptions } from './http';

export type { DataScopeSetting } from '@domain/access';
export type { PermissionDef, PermissionGroup, RoleKind } from '@domain/permissions';
export type { UserSession } from '@domain/system';

type Opts = Omit<RequestOptions, 'method' | 'body' | 'query'>;

/** A user as the server answers it (domain/system.ts). */
export type SystemUser = UserView;

export interface UserQuery {
  q?: string;
  role?: string;
  active?: boolean;
  page?: number;
  pageSize?: number;
}

export interface UserInput {
  username?: string;
  displayName?: string;
  roles?: string[];
  placeCode?: string | null;
  scope?: DataScopeSetting | null;
  oidcSubject?: string | null;
}

export interface SystemRole {
  id: number;
  code: string;
  name: string;
  kind: RoleKind;
  kindName: string;
  builtin: boolean;
  permissions: string[];
  /** Users holding the role. */
  users: number;
}

export interface RoleKindInfo {
  kind: RoleKind;
  name: string;
  /** The permission groups a role of this kind may hold (三员分立). */
  groups: PermissionGroup[];
}

export interface PermissionCatalogue {
  permissions: PermissionDef[];
  kinds: RoleKindInfo[];
}

export interface SystemPoint {
  code: string;
  name: string;
  kind: 'campus' | 'point';
  parentCode: string | null;
  active: boolean;
}

export interface Collector {
  id?: number;
  hisCode: string;
  hisName: string | null;
  username: string;
  displayName?: string | null;
}

const u = (id: number) => `/system/users/${encodeURIComponent(String(id))}`;
const r = (code: string) => `/system/roles/${encodeURIComponent(code)}`;

// ---- users ----
export const fetchUsers = (q: UserQuery = {}, o?: Opts) =>
  http.get<{ total: number; rows: SystemUser[] }>('/system/users', { q: q.q, role: q.role, active: q.active, page: q.page, pageSize: q.pageSize }, o);
export const fetchUser = (id: number, o?: Opts) => http.get<{ user: SystemUser }>(u(id), undefined, o);
/** A new user; `initialPassword` is shown once and never again. */
export const createUser = (input: UserInput, o?: Opts) => http.post<{ user: SystemUser; initialPassword: string }>('/system/users', input, o);
export const updateUser = (id: number, input: Omit<UserInput, 'username'>, o?: Opts) => http.put<{ user: SystemUser }>(u(id), input, o);
export const deactivateUser = (id: number, o?: Opts) => http.post<{ user: SystemUser }>(`${u(id)}/deactivate`, {}, o);
export const activateUser = (id: number, o?: Opts) => http.post<{ user: SystemUser }>(`${u(id)}/activate`, {}, o);
/** A one-time password the user must change at the next sign-in; their sessions end. */
export const resetUserPassword = (id: number, o?: Opts) => http.post<{ initialPassword: string }>(`${u(id)}/reset-password`, {}, o);
export const unlockUser = (id: number, o?: Opts) => http.post<{ user: SystemUser }>(`${u(id)}/unlock`, {}, o);
/** 重置动态口令: the user's authenticator is removed (a lost phone); they enrol again at the next sign-in. */
export const resetUserMfa = (id: number, o?: Opts) => http.post<{ user: SystemUser }>(`${u(id)}/reset-mfa`, {}, o);
export const revokeUserSessions = (id: number, o?: Opts) => http.post<{ revoked: number }>(`${u(id)}/revoke-sessions`, {}, o);
export const fetchUserSessions = (id: number, o?: Opts) => http.get<{ sessions: UserSession[] }>(`${u(id)}/sessions`, undefined, o);

// ---- roles and permissions ----
export const fetchRoles = (o?: Opts) => http.get<{ rows: SystemRole[] }>('/system/roles', undefined, o);
export const fetchPermissions = (o?: Opts) => http.get<PermissionCatalogue>('/system/permissions', undefined, o);
export const createRole = (input: { code: string; name: string; kind?: RoleKind; permissions?: string[] }, o?: Opts) =>
  http.post<{ role: SystemRole }>('/system/roles', input, o);
export const updateRole = (code: string, input: { name?: string; permissions?: string[] }, o?: Opts) => http.put<{ role: SystemRole }>(r(code), input, o);
export const deleteRole = (code: string, o?: Opts) => request<{ ok: boolean }>(r(code), { ...o, method: 'DELETE' });

// ---- billing points (scope picker) and collectors ----
export const fetchSystemPoints = (o?: Opts) => http.get<{ rows: SystemPoint[] }>('/system/points', undefined, o);
export const fetchCollectors = (o?: Opts) => http.get<{ rows: Collector[] }>('/system/collectors', undefined, o);
/** Replaces the whole mapping with `rows`. */
export const saveCollectors = (rows: Array<Pick<Collector, 'hisCode' | 'hisName' | 'username'>>, o?: Opts) =>
  http.put<{ rows: Collector[] }>('/system/collectors', { rows }, o);

/** The API's message without its leading `field: ` (or the field's Chinese name). */
export { withoutField } from '@/utils/error-text';
