/**
 * Loads one refund and, while its money or its bill is on the way (退款中, 待窗口退款, 票据冲红中),
 * quietly re-reads it every 5 s so the page follows the workflow by itself. After an action the
 * workflow may take a moment to move on: the page then re-reads it for a while too.
 */
import { computed, onBeforeUnmount, ref, shallowRef, watch, type Ref } from 'vue';
import { fetchRefund, type RefundDetail } from '@/api/refunds';
import { ApiError } from '@/api/http';
import { REFUND_FINAL_STATES, REFUND_MOVING_STATES } from '@/utils/dict';

const POLL_INTERVAL_MS = 5000;
/** Re-reads after an action even when the state does not ask for it (the workflow is moving on). */
const FOLLOW_UP_TRIES = 6;

/** Between two steps of the chain: all approved so far, the next state not there yet. */
const betweenSteps = (r: RefundDetail) => r.state === 'approving' && !r.chain.some((s) => s.status === 'current');

export function useRefundDetail(id: Ref<string>) {
  const refund = shallowRef<RefundDetail | null>(null);
  const loading = ref(false);
  const error = ref<ApiError | null>(null);
  const polling = ref(false);

  let timer: ReturnType<typeof setTimeout> | undefined;
  let followUps = 0;
  let controller: AbortController | null = null;
  let disposed = false;

  const moving = (r: RefundDetail) => REFUND_MOVING_STATES.includes(r.state) || betweenSteps(r);

  function stopPolling() {
    if (timer) clearTimeout(timer);
    timer = undefined;
    polling.value = false;
  }

  function schedulePoll() {
    stopPolling();
    const r = refund.value;
    if (disposed || !r) return;
    if (REFUND_FINAL_STATES.includes(r.state)) followUps = 0; // nothing more will happen
    const follow = followUps > 0;
    if (!moving(r) && !follow) return;
    if (follow) followUps -= 1;
    polling.value = true;
    timer = setTimeout(() => void load({ quiet: true }), POLL_INTERVAL_MS);
  }

  async function load(options: { quiet?: boolean } = {}) {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    if (!options.quiet) loading.value = true;
    try {
      const res = await fetchRefund(id.value, { silent: true, signal: mine.signal });
      if (controller !== mine || disposed) return;
      refund.value = res;
      error.value = null;
    } catch (err) {
      if (controller !== mine || disposed) return;
      // A failed background refresh keeps what is on screen; a failed first load shows the error.
      if (!options.quiet || !refund.value) {
        error.value = err instanceof ApiError ? err : new ApiError(0, 'UNKNOWN', '加载退费申请失败，请稍后重试');
        if (!options.quiet) refund.value = null;
      }
    } finally {
      if (controller === mine) {
        controller = null;
        loading.value = false;
        schedulePoll();
      }
    }
  }

  /** The refund as an action answered it; the page then follows the workflow for a while. */
  function replace(next: RefundDetail) {
    controller?.abort();
    controller = null;
    loading.value = false;
    refund.value = next;
    error.value = null;
    followUps = FOLLOW_UP_TRIES;
    schedulePoll();
  }

  watch(id, () => void load(), { immediate: true });

  onBeforeUnmount(() => {
    disposed = true;
    controller?.abort();
    stopPolling();
  });

  const notFound = computed(() => error.value?.status === 404);

  return {
    refund,
    loading,
    error,
    notFound,
    polling,
    replace,
    reload: (options?: { quiet?: boolean; followUp?: boolean }) => {
      if (options?.followUp) followUps = FOLLOW_UP_TRIES;
      return load(options);
    },
  };
}
