import { http } from './http';

export interface User {
  username: string;
  displayName: string;
  roles: string[];
  /** The billing point the user works at (cashiers), if any. */
  placeCode?: string;
}

export interface LoginParams {
  username: string;
  password: string;
}

export interface LoginResult {
  token: string;
  user: User;
}

/** Signs in; the API also sets the HttpOnly session cookie. Errors are shown by the login form. */
export const login = (params: LoginParams) =>
  http.post<LoginResult>('/auth/login', params, { silent: true, skipAuthRedirect: true });

export const logout = () => http.post<{ ok: boolean }>('/auth/logout', undefined, { silent: true, skipAuthRedirect: true });

/** The signed-in user, or a 401 ApiError; never redirects (used by the route guard). */
export const fetchCurrentUser = () => http.get<{ user: User }>('/auth/me', undefined, { silent: true, skipAuthRedirect: true });
