/**
 * Loads one bill and, while its layout file is still being made (or notifications are still
 * pending), quietly re-reads it every few seconds so the page fills in by itself.
 */
import { computed, onBeforeUnmount, ref, shallowRef, watch, type Ref } from 'vue';
import { fetchBill, type BillDetail } from '@/api/bills';
import { ApiError } from '@/api/http';

const POLL_INTERVAL_MS = 3000;
const POLL_MAX_TRIES = 40; // two minutes

export function useBillDetail(id: Ref<string>) {
  const bill = shallowRef<BillDetail | null>(null);
  const loading = ref(false);
  const error = ref<ApiError | null>(null);
  const polling = ref(false);
  const pollExhausted = ref(false);

  let timer: ReturnType<typeof setTimeout> | undefined;
  let tries = 0;
  let controller: AbortController | null = null;
  let disposed = false;

  const stillWorking = (b: BillDetail) =>
    !b.layoutReady || (b.notifications ?? []).some((n) => n.status === 'pending');

  function stopPolling() {
    if (timer) clearTimeout(timer);
    timer = undefined;
    polling.value = false;
  }

  function schedulePoll() {
    stopPolling();
    if (disposed || !bill.value || !stillWorking(bill.value)) return;
    if (tries >= POLL_MAX_TRIES) {
      pollExhausted.value = true;
      return;
    }
    polling.value = true;
    timer = setTimeout(() => {
      tries += 1;
      void load({ quiet: true });
    }, POLL_INTERVAL_MS);
  }

  async function load(options: { quiet?: boolean } = {}) {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    if (!options.quiet) {
      loading.value = true;
      tries = 0;
      pollExhausted.value = false;
    }
    try {
      const res = await fetchBill(id.value, { silent: true, signal: mine.signal });
      if (controller !== mine || disposed) return;
      bill.value = res.bill;
      error.value = null;
    } catch (err) {
      if (controller !== mine || disposed) return;
      // A failed background refresh keeps what is on screen; a failed first load shows the error.
      if (!options.quiet || !bill.value) {
        error.value = err instanceof ApiError ? err : new ApiError(0, 'UNKNOWN', '加载票据失败，请稍后重试');
        if (!options.quiet) bill.value = null;
      }
    } finally {
      if (controller === mine) {
        controller = null;
        loading.value = false;
        schedulePoll();
      }
    }
  }

  watch(id, () => void load(), { immediate: true });

  onBeforeUnmount(() => {
    disposed = true;
    controller?.abort();
    stopPolling();
  });

  const notFound = computed(() => error.value?.status === 404);

  return { bill, loading, error, notFound, polling, pollExhausted, reload: () => load() };
}
