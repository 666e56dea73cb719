/**
 * v-perm: button-level permission.
 *   <el-button v-perm="'bill:write-off'">冲红</el-button>
 * hides the element unless the server granted the signed-in user one of the listed permissions
 * (domain/permissions.ts codes, answered by /api/auth/me; a single string or a list). It hides
 * rather than removes, so Vue keeps owning the node; the check follows the user. The API checks
 * the same permission on the route behind the button.
 */
import type { Directive, DirectiveBinding } from 'vue';
import { watchEffect, type WatchStopHandle } from 'vue';
import { can } from '@/store/user';

export type PermValue = string | readonly string[];

interface PermEl extends HTMLElement {
  __permStop?: WatchStopHandle;
  __permValue?: PermValue;
  __permDisplay?: string;
}

const key = (v: PermValue | undefined | null): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : v.join(','));

function bind(el: PermEl, binding: DirectiveBinding<PermValue>): void {
  el.__permValue = binding.value;
  el.__permDisplay ??= el.style.display === 'none' ? '' : el.style.display;
  el.__permStop?.();
  el.__permStop = watchEffect(() => {
    const allowed = can(el.__permValue);
    el.style.display = allowed ? (el.__permDisplay ?? '') : 'none';
    if (allowed) el.removeAttribute('data-perm-hidden');
    else el.setAttribute('data-perm-hidden', '');
  });
}

export const vPerm: Directive<PermEl, PermValue> = {
  mounted: bind,
  updated(el, binding) {
    if (key(binding.oldValue) !== key(binding.value)) bind(el, binding);
  },
  beforeUnmount(el) {
    el.__permStop?.();
    delete el.__permStop;
  },
};

export default vPerm;
