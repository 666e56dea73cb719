/**
 * v-role: button-level permission.
 *   <el-button v-role="['admin', 'cashier']">冲红</el-button>
 * hides the element when the signed-in user has none of the listed roles (a single string works too).
 * It hides rather than removes, so Vue keeps owning the node; the check follows role changes.
 */
import type { Directive, DirectiveBinding } from 'vue';
import { watchEffect, type WatchStopHandle } from 'vue';
import { hasAnyRole } from '@/store/user';

export type RoleValue = string | readonly string[];

interface RoleEl extends HTMLElement {
  __roleStop?: WatchStopHandle;
  __roleValue?: RoleValue;
  __roleDisplay?: string;
}

const normalise = (v: RoleValue | undefined): readonly string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : v);

function bind(el: RoleEl, binding: DirectiveBinding<RoleValue>): void {
  el.__roleValue = binding.value;
  el.__roleDisplay ??= el.style.display === 'none' ? '' : el.style.display;
  el.__roleStop?.();
  el.__roleStop = watchEffect(() => {
    const allowed = hasAnyRole(normalise(el.__roleValue));
    el.style.display = allowed ? (el.__roleDisplay ?? '') : 'none';
    if (allowed) el.removeAttribute('data-role-hidden');
    else el.setAttribute('data-role-hidden', '');
  });
}

export const vRole: Directive<RoleEl, RoleValue> = {
  mounted: bind,
  updated(el, binding) {
    const before = normalise(binding.oldValue ?? undefined).join(',');
    if (before !== normalise(binding.value).join(',')) bind(el, binding);
  },
  beforeUnmount(el) {
    el.__roleStop?.();
    delete el.__roleStop;
  },
};

export default vRole;
