/// <reference types="vite/client" />
import 'vue-router';

declare module 'vue-router' {
  interface RouteMeta {
    /** Page title (Chinese), shown in the menu, the breadcrumb and the browser tab. */
    title?: string;
    /** Icon component for the menu entry. */
    icon?: import('vue').Component;
    /** The permission (domain/permissions.ts `menu:*`) that opens the page, as the server answers it in /api/auth/me; absent = every signed-in user. */
    perm?: string;
    /** Pages reachable without signing in (login, errors). */
    public?: boolean;
    /** Show in the left menu. */
    menu?: boolean;
    /** Menu entry to highlight when the page itself is not in the menu (e.g. a detail page). */
    activeMenu?: string;
    /** Order in the menu (lower first). */
    order?: number;
    /**
     * A count shown beside the menu entry: 'todos' = open to-do items, 'stockAlarms' = open stock
     * alarms, 'refunds' = refunds waiting for the user (退费审批 待办).
     */
    badge?: 'todos' | 'stockAlarms' | 'refunds';
  }
}

declare module 'vue' {
  interface GlobalDirectives {
    /** v-perm="'bill:write-off'": hide the element unless the server granted the user one of these permissions. */
    vPerm: typeof import('./directives/perm').vPerm;
    /** Element Plus's v-loading (registered by app.use(ElementPlus)). */
    vLoading: typeof import('element-plus')['vLoading'];
  }
}
