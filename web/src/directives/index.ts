import type { App } from 'vue';
import { vRole } from './role';

export function setupDirectives(app: App): void {
  app.directive('role', vRole);
}

export { vRole };
