/**
 * What the two audit log pages share (操作日志 and 交互日志): one page of a search with its loading
 * state and error, and 校验完整性 (the chain's verification) with its outcome.
 */
import { withoutField } from '@/utils/error-text';
import { ref, type Ref } from 'vue';
import { ElMessage } from 'element-plus';
import type { VerifyResult } from '@/api/audit';
import { ApiError } from '@/api/http';

/** The API's message without its leading `field: `, else `fallback`. */
export const apiMessage = (e: unknown, fallback: string) => (e instanceof ApiError ? withoutField(e.message, e.field) : fallback);

/**
 * One page of a log search: `fetch` gets the page and its size. A failure shows as `errorText`
 * (the API's message, else `fallback`), or, with `fieldErrors`, as `fieldError` under the field the
 * API names.
 */
export function useLogSearch<T>(fetch: (page: number, pageSize: number) => Promise<T>, opts: { fallback: string; fieldErrors?: boolean }) {
  const page = ref(1);
  const pageSize = ref(20);
  const data = ref(null) as Ref<T | null>;
  const loading = ref(false);
  const errorText = ref('');
  const fieldError = ref<{ field?: string; text: string } | null>(null);

  async function load() {
    loading.value = true;
    errorText.value = '';
    fieldError.value = null;
    try {
      data.value = await fetch(page.value, pageSize.value);
    } catch (e) {
      const text = apiMessage(e, opts.fallback);
      if (opts.fieldErrors && e instanceof ApiError && e.field) fieldError.value = { field: e.field, text };
      else errorText.value = text;
    } finally {
      loading.value = false;
    }
  }

  function search() {
    page.value = 1;
    void load();
  }

  return { page, pageSize, data, loading, errorText, fieldError, load, search };
}

/**
 * 校验完整性: runs `run`, keeps its outcome in `verified` and says `okText` when the chain holds;
 * `after` runs after an answer (the verification is itself logged), `message` words a failure.
 */
export function useChainVerify(run: () => Promise<VerifyResult>, opts: { okText: string; message: (e: unknown) => string; after?: () => void }) {
  const verifying = ref(false);
  const verified = ref<VerifyResult | null>(null);

  async function verify() {
    verifying.value = true;
    try {
      verified.value = await run();
      if (verified.value.ok) ElMessage.success(opts.okText);
      opts.after?.();
    } catch (e) {
      ElMessage.error(opts.message(e));
    } finally {
      verifying.value = false;
    }
  }

  return { verifying, verified, verify };
}
