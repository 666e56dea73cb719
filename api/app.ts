/** The Koa application: HIS interface, console API, patient H5 page, the built console, health. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Koa from 'koa';
import { consoleQueryGuard } from './console/query';
import { consoleWriteGuard, securityHeaders } from './security';
import Router from '@koa/router';
import serve from 'koa-static';
import { REPO_ROOT } from '../temporal/setup';
import type { ApiContext } from './context';
import { redactDbError } from '../orm/errors';
import { ping } from '../orm/repositories/health';
import { mountHisRoutes } from './his/routes';
import { mountAuthRoutes } from './console/auth';
import { mountBillRoutes } from './console/bills';
import { mountTodoRoutes } from './console/todos';
import { mountRefundRoutes } from './console/refunds';
import { mountReportRoutes } from './console/reports';
import { mountPaperRoutes } from './console/paper';
import { mountBasicDataRoutes } from './console/basic-data';
import { mountH5Routes } from './h5/routes';
import { mountNoticeRoutes } from './console/notices';
import { mountStockRoutes } from './console/stock';
import { mountOnlineIssueRoutes } from './console/online-issue';
import { mountSealRoutes } from './console/seals';
import { mountHomeRoutes } from './console/home';
import { mountUploadRoutes } from './console/upload';
import { mountSystemRoutes } from './console/system';
import { mountAuditRoutes } from './console/audit';
import { mountArchiveRoutes } from './console/archive';
import { consoleChangeLog } from './console/change-log';
import { mountPaymentNotifyRoutes } from './pay/routes';
import { bodyLimits } from './http';

export function createApp(api: ApiContext, opts: { webDist?: string; log?: (m: string, e?: unknown) => void } = {}): Koa {
  const app = new Koa();
  bodyLimits.maxBytes = api.deps.cfg.his.maxBodyBytes;
  bodyLimits.maxDepth = api.deps.cfg.his.maxJsonDepth;
  // Forwarded headers only from the hospital's own reverse proxy (MEDBILL_TRUST_PROXY).
  app.proxy = api.deps.cfg.server.trustProxy;
  // The client's address is the one the trusted proxy appended (the last), not what the client sent first.
  app.maxIpsCount = 1;
  app.use(securityHeaders);
  const log = opts.log ?? ((m: string, e?: unknown) => console.error(m, e));
  app.on('error', (err, ctx) => log(`[api] ${ctx?.method ?? ''} ${ctx?.path ?? ''} failed`, redactDbError(err)));

  const router = new Router();
  router.get('/health', async (ctx) => {
    const checks: Record<string, string> = {};
    try {
      await ping(api.deps.orm.em.fork());
      checks.database = 'ok';
    } catch (e) {
      checks.database = `down: ${(e as Error).message}`;
    }
    try {
      await api.client.workflowService.getSystemInfo({});
      checks.temporal = 'ok';
    } catch (e) {
      checks.temporal = `down: ${(e as Error).message}`;
    }
    const ok = Object.values(checks).every((v) => v === 'ok');
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? 'ok' : 'degraded', checks };
  });
  mountHisRoutes(router, api);
  mountAuthRoutes(router, api);
  mountBillRoutes(router, api);
  mountTodoRoutes(router, api);
  mountRefundRoutes(router, api);
  mountReportRoutes(router, api);
  mountNoticeRoutes(router, api);
  mountPaperRoutes(router, api);
  mountBasicDataRoutes(router, api);
  mountStockRoutes(router, api);
  mountOnlineIssueRoutes(router, api);
  mountSealRoutes(router, api);
  mountHomeRoutes(router, api);
  mountUploadRoutes(router, api);
  mountSystemRoutes(router, api);
  mountAuditRoutes(router, api);
  mountArchiveRoutes(router, api);
  mountH5Routes(router, api);
  mountPaymentNotifyRoutes(router, api, log);
  router.get('/', (ctx) => ctx.redirect('/console/'));

  app.use(consoleQueryGuard);
  app.use(consoleWriteGuard(api.deps.cfg.server.publicUrl));
  app.use(consoleChangeLog(api));
  app.use(router.routes());
  app.use(router.allowedMethods());

  const dist = opts.webDist ?? path.join(REPO_ROOT, 'web', 'dist');
  const index = path.join(dist, 'index.html');
  const statics = serve(dist, { index: false, maxage: 3600_000 });
  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/console')) return next();
    const rel = ctx.path.replace(/^\/console/, '') || '/';
    if (rel !== '/' && rel.includes('.')) {
      ctx.path = rel;
      return statics(ctx, next);
    }
    // Single-page app: every console route answers with index.html.
    if (!fs.existsSync(index)) {
      ctx.status = 503;
      ctx.body = 'The console is not built: run `npm run build`.';
      return;
    }
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = fs.createReadStream(index);
  });
  return app;
}
