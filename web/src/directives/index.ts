import type { App } from 'vue';
import { vPerm } from './perm';

export function setupDirectives(app: App): void {
  app.directive('perm', vPerm);
}

export { vPerm };
