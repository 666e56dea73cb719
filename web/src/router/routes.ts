/**
 * All console pages. Entries with `meta.menu` appear in the left menu, filtered by `meta.perm`
 * (a `menu:*` permission the server granted the user in /api/auth/me; absent = every signed-in
 * user). To add a page: create views/<page>/index.vue, add a child of the layout route below, and
 * give it a title, an icon and the menu permission that opens it (domain/permissions.ts).
 */
import type { RouteRecordRaw } from 'vue-router';
import {
  Bell,
  Box,
  Connection,
  DataAnalysis,
  Document,
  Files,
  OfficeBuilding,
  RefreshLeft,
  SetUp,
  Tickets,
  Upload,
  User as UserIcon,
  Lock,
  Avatar,
  Files as TicketsIcon,
  Notebook,
} from '@element-plus/icons-vue';
import Layout from '@/layout/index.vue';

export const layoutChildren: RouteRecordRaw[] = [
  {
    path: 'home',
    name: 'home',
    component: () => import('@/views/home/index.vue'),
    meta: { title: '首页', icon: DataAnalysis, menu: true, order: 1, perm: 'menu:bills' },
  },
  {
    path: 'bills',
    name: 'bills',
    component: () => import('@/views/bills/index.vue'),
    meta: { title: '票据查询', icon: Tickets, menu: true, order: 10, perm: 'menu:bills' },
  },
  {
    path: 'bills/:id',
    name: 'bill-detail',
    component: () => import('@/views/bill-detail/index.vue'),
    props: true,
    meta: { title: '票据详情', activeMenu: '/bills', perm: 'menu:bills' },
  },
  {
    path: 'todos',
    name: 'todos',
    component: () => import('@/views/todos/index.vue'),
    // Paper recovery and blocked reissues: the points' cashiers, finance, admins (audit reads).
    meta: { title: '待办事项', icon: Bell, menu: true, order: 15, perm: 'menu:todos', badge: 'todos' },
  },

  {
    path: 'paper',
    name: 'paper',
    component: () => import('@/views/paper/index.vue'),
    meta: { title: '纸质票据', icon: Document, menu: true, order: 15, perm: 'menu:paper' },
  },

  {
    path: 'basic-data',
    name: 'basic-data',
    component: () => import('@/views/basic-data/index.vue'),
    // Bill kinds and fiscal items synced from the fiscal platform: finance and admins.
    meta: { title: '基础数据', icon: Files, menu: true, order: 50, perm: 'menu:basic-data' },
  },
  {
    path: 'seals',
    name: 'seals',
    component: () => import('@/views/seals/index.vue'),
    meta: { title: '印章管理', icon: Notebook, menu: true, order: 52, perm: 'menu:seals' },
  },
  {
    path: 'code-mapping',
    name: 'code-mapping',
    component: () => import('@/views/code-mapping/index.vue'),
    meta: { title: '编码对照', icon: Connection, menu: true, order: 51, perm: 'menu:code-mapping' },
  },
  {
    path: 'upload',
    name: 'upload',
    component: () => import('@/views/upload/index.vue'),
    // The fiscal upload is a back-office matter: finance and admins act, auditors read; cashiers see a bill's upload state on its page.
    meta: { title: '上传管理', icon: Upload, menu: true, order: 25, perm: 'menu:upload' },
  },

  {
    path: 'refunds',
    name: 'refunds',
    component: () => import('@/views/refunds/index.vue'),
    // Everyone in an approval chain, and the cashiers who pay back at the window. The badge: refunds waiting for the user.
    meta: { title: '退费审批', icon: RefreshLeft, menu: true, order: 20, perm: 'menu:refunds', badge: 'refunds' },
  },
  {
    path: 'refunds/:id',
    name: 'refund-detail',
    component: () => import('@/views/refund-detail/index.vue'),
    props: true,
    meta: { title: '退费详情', activeMenu: '/refunds', perm: 'menu:refunds' },
  },
  {
    path: 'refund-chains',
    name: 'refund-chains',
    component: () => import('@/views/refund-chains/index.vue'),
    // Admins edit the chains; finance reads them.
    meta: { title: '退费流程配置', icon: SetUp, menu: true, order: 21, perm: 'menu:refund-chains' },
  },
  {
    path: 'online-issue',
    name: 'online-issue',
    component: () => import('@/views/online-issue/index.vue'),
    meta: { title: '在线开具', icon: Document, menu: true, order: 12, perm: 'menu:online-issue' },
  },
  {
    path: 'requisitions',
    name: 'requisitions',
    component: () => import('@/views/requisitions/index.vue'),
    meta: { title: '票据申领', icon: TicketsIcon, menu: true, order: 28, perm: 'menu:requisitions' },
  },
  {
    path: 'stock',
    name: 'stock',
    component: () => import('@/views/stock/index.vue'),
    // The badge: open stock alarms (库存预警).
    meta: { title: '库存管理/分发', icon: Box, menu: true, order: 30, perm: 'menu:stock', badge: 'stockAlarms' },
  },
  {
    path: 'points',
    name: 'points',
    component: () => import('@/views/points/index.vue'),
    meta: { title: '开票点', icon: OfficeBuilding, menu: true, order: 32, perm: 'menu:points' },
  },

  {
    path: 'reports',
    name: 'reports',
    component: () => import('@/views/reports/index.vue'),
    meta: { title: '报表', icon: DataAnalysis, menu: true, order: 40, perm: 'menu:reports' },
  },

  {
    path: 'system/users',
    name: 'system-users',
    component: () => import('@/views/system-users/index.vue'),
    // 系统管理: the security administrator's pages (三员分立).
    meta: { title: '用户管理', icon: UserIcon, menu: true, order: 60, perm: 'menu:system-users' },
  },
  {
    path: 'system/roles',
    name: 'system-roles',
    component: () => import('@/views/system-roles/index.vue'),
    meta: { title: '角色权限', icon: Lock, menu: true, order: 61, perm: 'menu:system-roles' },
  },
  {
    path: 'system/collectors',
    name: 'collectors',
    component: () => import('@/views/collectors/index.vue'),
    meta: { title: '开票员对照', icon: Avatar, menu: true, order: 62, perm: 'menu:collectors' },
  },
  {
    path: 'archive',
    name: 'archive',
    component: () => import('@/views/archive/index.vue'),
    // The e-bill archive: packages, 四性 checks, statistics, the destruction register (finance).
    meta: { title: '票据档案', icon: Files, menu: true, order: 27, perm: 'menu:archive' },
  },
  {
    path: 'audit/operations',
    name: 'audit-operations',
    component: () => import('@/views/audit-operations/index.vue'),
    // The audit administrator: the operation log and its chain verification.
    meta: { title: '操作日志', icon: Notebook, menu: true, order: 70, perm: 'menu:audit-operations' },
  },
  {
    path: 'audit/exchanges',
    name: 'audit-exchanges',
    component: () => import('@/views/audit-exchanges/index.vue'),
    // The audit administrator: every exchange with an outside system, decrypted one at a time.
    meta: { title: '交互日志', icon: Connection, menu: true, order: 71, perm: 'menu:audit-exchanges' },
  },

  {
    path: 'password',
    name: 'password',
    component: () => import('@/views/password/index.vue'),
    meta: { title: '修改密码' },
  },
  {
    path: 'mfa',
    name: 'mfa',
    component: () => import('@/views/mfa/index.vue'),
    meta: { title: '双因素认证' },
  },
  {
    path: '403',
    name: 'forbidden',
    component: () => import('@/views/error/forbidden.vue'),
    meta: { title: '无权访问' },
  },
];

export const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('@/views/login/index.vue'),
    meta: { title: '登录', public: true },
  },
  {
    path: '/',
    component: Layout,
    redirect: { name: 'home' },
    children: layoutChildren,
  },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('@/views/error/not-found.vue'),
    meta: { title: '页面不存在', public: true },
  },
];
