import { createRouter, createWebHistory, type RouteLocationNormalized, type RouteRecordRaw } from 'vue-router';
import { routes, layoutChildren } from './routes';
import { can, ensureUser } from '@/store/user';

export const APP_TITLE = '医疗电子票据管理平台';

const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes,
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
});

/** Only paths inside the console are accepted as a post-login target. */
export function safeRedirect(value: unknown): string | null {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//')) return null;
  if (value.startsWith('/login')) return null;
  return value;
}

router.beforeEach(async (to: RouteLocationNormalized) => {
  if (to.meta.public) {
    if (to.name === 'login') {
      // Already signed in (e.g. a bookmarked login page): go straight in.
      const user = await ensureUser().catch(() => null);
      if (user) return user.passwordChange ? { name: 'password' } : (safeRedirect(to.query.redirect) ?? { name: 'home' });
    }
    return true;
  }
  let user;
  try {
    user = await ensureUser();
  } catch {
    user = null; // API unreachable: the login page shows the error when the user tries.
  }
  if (!user) {
    const plain = to.fullPath === '/' || to.fullPath === '/bills' || to.fullPath === '/home';
    return { name: 'login', query: plain ? {} : { redirect: to.fullPath } };
  }
  // After a reset, or when the password expired, the change-password page is the only way on.
  if (user.passwordChange && to.name !== 'password') return { name: 'password' };
  // Administrators and finance enrol a second factor before anything else (the API answers E0009 meanwhile);
  // a single sign-on's second factor is the identity platform's.
  if (user.mfa?.required && !user.mfa.enrolled && user.signedInWith !== 'sso' && to.name !== 'mfa' && to.name !== 'password') return { name: 'mfa' };
  const perms = to.matched.flatMap((r) => (r.meta.perm ? [r.meta.perm] : []));
  if (perms.every((p) => can(p))) return true;
  // The default landing (首页, or 票据查询) for a user without it (the three administrators): their first menu page.
  if (to.name === 'home' || to.name === 'bills') return homeRoute();
  return { name: 'forbidden' };
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} - ${APP_TITLE}` : APP_TITLE;
});

/** Menu entries (layout children with `meta.menu`) the current user may open, in menu order. */
export function menuRoutes(): RouteRecordRaw[] {
  return layoutChildren
    .filter((r) => r.meta?.menu && can(r.meta.perm))
    .sort((a, b) => (a.meta?.order ?? 0) - (b.meta?.order ?? 0));
}

/** Where a signed-in user lands: the first menu page they may open (修改密码 when there is none). */
export function homeRoute(): { name: string } {
  const first = menuRoutes()[0];
  return { name: typeof first?.name === 'string' ? first.name : 'password' };
}

export default router;
