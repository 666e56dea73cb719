/**
 * Reference data from /api/meta (hospital, billing points, business types, payment channels),
 * loaded once per page load and shared by every page.
 */
import { BUS_TYPES, PAY_CHANNELS } from '@domain/bill/codes';
import { computed, shallowRef } from 'vue';
import { fetchMeta, type Meta } from '@/api/meta';

const meta = shallowRef<Meta | null>(null);
let pending: Promise<Meta | null> | null = null;

export const metaState = computed(() => meta.value);
export const hospitalName = computed(() => meta.value?.hospital?.name ?? '');
export const places = computed(() => meta.value?.places ?? []);
export const billKinds = computed(() => meta.value?.billKinds ?? []);

const busTypeNames = computed(() => new Map((meta.value?.busTypes ?? []).map((b) => [b.busType, b.name])));
const placeNames = computed(() => new Map((meta.value?.places ?? []).map((p) => [p.code, p.name])));
const channelNames = computed(() => new Map((meta.value?.payChannels ?? []).map((c) => [c.code, c.name])));

export const busTypeName = (code: string | undefined | null): string => (code ? (busTypeNames.value.get(code) ?? BUS_TYPES[code] ?? code) : '');
export const placeName = (code: string | undefined | null): string => (code ? (placeNames.value.get(code) ?? code) : '');
export const payChannelName = (code: string | undefined | null): string => (code ? (channelNames.value.get(code) ?? PAY_CHANNELS[code] ?? code) : '');

/**
 * Loads the reference data (once). A failure is not fatal: pages fall back to codes.
 * `quiet` is for the login page, where the API may not answer /api/meta before sign-in.
 */
export function loadMeta(options: { quiet?: boolean } = {}): Promise<Meta | null> {
  if (meta.value) return Promise.resolve(meta.value);
  pending ??= fetchMeta(options.quiet ? { silent: true, skipAuthRedirect: true } : undefined)
    .then((m) => {
      meta.value = m;
      return m;
    })
    .catch(() => null)
    .finally(() => {
      pending = null;
    });
  return pending;
}
