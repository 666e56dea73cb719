/**
 * The signed-in user. A tiny reactive store (no Pinia needed for one object): the route guard
 * loads it once from /api/auth/me, the login page fills it, logout and any 401 clear it.
 */
import { computed, reactive, readonly } from 'vue';
import { fetchCurrentUser, login as apiLogin, logout as apiLogout, type LoginParams, type User } from '@/api/auth';
import { ApiError } from '@/api/http';

interface UserState {
  user: User | null;
  /** The password policy as the server states it (shown on the change-password page). */
  passwordPolicy: string;
  /** /api/auth/me has been asked at least once in this page load. */
  checked: boolean;
}

const state = reactive<UserState>({ user: null, passwordPolicy: '', checked: false });
let pending: Promise<User | null> | null = null;

export const userState = readonly(state);
export const currentUser = computed(() => state.user);
export const roles = computed<readonly string[]>(() => state.user?.roles ?? []);

/**
 * The billing point a user is limited to, from the data scope the server answers: a scope of one
 * point (a cashier at a window) locks the point filters to it, as the API enforces. Empty = the
 * scope holds several points or the whole hospital.
 */
export const placeScope = computed(() => {
  const s = state.user?.scope;
  return s?.kind === 'points' && s.points.length === 1 ? s.points[0] : '';
});

/** The user's data scope covers the whole hospital (e.g. the 全部 box of 退费审批). */
export const seesWholeHospital = computed(() => state.user?.scope?.kind === 'hospital');

/**
 * True when the server granted the user at least one of `wanted` (domain/permissions.ts codes; an
 * empty or absent list allows everyone). The server checks the same permissions on every route.
 */
export function can(wanted?: string | readonly string[] | null): boolean {
  if (!wanted || wanted.length === 0) return true;
  const mine = state.user?.permissions ?? [];
  return (typeof wanted === 'string' ? [wanted] : wanted).some((p) => mine.includes(p));
}

/** Resolves the session once; later calls reuse the answer. */
export function ensureUser(): Promise<User | null> {
  if (state.checked) return Promise.resolve(state.user);
  pending ??= fetchCurrentUser()
    .then(({ user, passwordPolicy }) => {
      state.passwordPolicy = passwordPolicy;
      return user;
    })
    .catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 401) return null;
      throw err;
    })
    .then((user) => {
      state.user = user;
      state.checked = true;
      return user;
    })
    .finally(() => {
      pending = null;
    });
  return pending;
}

export async function signIn(params: LoginParams): Promise<User> {
  const { user } = await apiLogin(params);
  state.user = user;
  state.checked = true;
  return user;
}

/** The API answered E0008: the password must be changed before anything else. */
export function requirePasswordChange(): void {
  if (state.user && !state.user.passwordChange) state.user = { ...state.user, passwordChange: 'expired' };
}

/** The authenticator was enrolled: a user who had to enrol may go on. */
export function mfaEnrolled(): void {
  if (state.user) state.user = { ...state.user, mfa: { required: state.user.mfa?.required ?? false, enrolled: true } };
}

/** The API answered E0009: the user must enrol a second factor before anything else. */
export function requireMfaEnrolment(): void {
  if (state.user && state.user.mfa?.enrolled !== false) state.user = { ...state.user, mfa: { required: true, enrolled: false } };
}

/** The password was changed: the user may go anywhere again. */
export function passwordChanged(): void {
  if (state.user) state.user = { ...state.user, passwordChange: undefined };
}

/** After sign-in the policy text comes with the next /api/auth/me (the change-password page asks). */
export async function loadPasswordPolicy(): Promise<string> {
  if (!state.passwordPolicy) state.passwordPolicy = (await fetchCurrentUser()).passwordPolicy;
  return state.passwordPolicy;
}

/**
 * Ends the session. A single sign-on session also signs out at the hospital's identity platform:
 * the browser then leaves for its logout page (which returns to the login page), and this never
 * resolves, so the caller's own navigation does not run.
 */
export async function signOut(): Promise<void> {
  let endSessionUrl: string | undefined;
  try {
    endSessionUrl = (await apiLogout()).endSessionUrl;
  } finally {
    clearUser();
  }
  if (endSessionUrl && /^https?:\/\//.test(endSessionUrl)) {
    window.location.assign(endSessionUrl);
    await new Promise<never>(() => undefined);
  }
}

export function clearUser(): void {
  state.user = null;
  state.checked = true;
}
