/**
 * State of the 退费审批 list. The URL query (?box=&state=&q=&page=&pageSize=) is the source of
 * truth, as on the bill search: a reload, the back button or a shared link show the same list.
 */
import { computed, reactive, ref, shallowRef, watch } from 'vue';
import { useRoute, useRouter, type LocationQuery, type LocationQueryRaw } from 'vue-router';
import { fetchRefunds, type RefundBox, type RefundListItem, type RefundQuery } from '@/api/refunds';
import { ApiError } from '@/api/http';
import { seesWholeHospital } from '@/store/user';

export const PAGE_SIZES = [10, 20, 50, 100] as const;
export const DEFAULT_PAGE_SIZE = 20;
const BOXES: RefundBox[] = ['todo', 'done', 'mine', 'cc', 'all'];
const first = (v: LocationQuery[string] | undefined): string => {
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s.trim() : '';
};

const positiveInt = (s: string): number | undefined => {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n >= 1 ? n : undefined;
};

export function queryFromRoute(q: LocationQuery, canSeeAll: boolean): RefundQuery {
  let box = first(q.box) as RefundBox;
  if (!BOXES.includes(box) || (box === 'all' && !canSeeAll)) box = 'todo';
  const out: RefundQuery = { box, page: positiveInt(first(q.page)) ?? 1, pageSize: DEFAULT_PAGE_SIZE };
  const size = positiveInt(first(q.pageSize));
  if (size && (PAGE_SIZES as readonly number[]).includes(size)) out.pageSize = size;
  const state = first(q.state);
  if (state) out.state = state;
  const text = first(q.q);
  if (text) out.q = text;
  return out;
}

export function routeFromQuery(rq: RefundQuery): LocationQueryRaw {
  const q: LocationQueryRaw = {};
  if (rq.box !== 'todo') q.box = rq.box;
  if (rq.state) q.state = rq.state;
  if (rq.q) q.q = rq.q;
  if (rq.page > 1) q.page = String(rq.page);
  if (rq.pageSize !== DEFAULT_PAGE_SIZE) q.pageSize = String(rq.pageSize);
  return q;
}

const sameQuery = (a: LocationQueryRaw, b: LocationQueryRaw) => JSON.stringify(a) === JSON.stringify(b);

export function useRefundList() {
  const route = useRoute();
  const router = useRouter();
  const routeName = route.name;
  const canSeeAll = computed(() => seesWholeHospital.value);

  const form = reactive({ state: '', q: '' });
  const query = ref<RefundQuery>(queryFromRoute(route.query, canSeeAll.value));
  const rows = shallowRef<RefundListItem[]>([]);
  const total = ref(0);
  const loading = ref(false);
  const errorText = ref('');
  let controller: AbortController | null = null;

  function fillForm(rq: RefundQuery) {
    form.state = rq.state ?? '';
    form.q = rq.q ?? '';
  }

  async function load(rq: RefundQuery = query.value, options: { quiet?: boolean } = {}) {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    if (!options.quiet) loading.value = true;
    errorText.value = '';
    try {
      const res = await fetchRefunds(rq, { silent: true, signal: mine.signal });
      if (controller !== mine) return;
      const lastPage = Math.max(1, Math.ceil(res.total / rq.pageSize));
      if (res.items.length === 0 && res.total > 0 && rq.page > lastPage) {
        void go({ ...rq, page: lastPage }, true);
        return;
      }
      rows.value = res.items;
      total.value = res.total;
    } catch (err) {
      if (controller !== mine) return;
      if (!options.quiet) {
        rows.value = [];
        total.value = 0;
        errorText.value = err instanceof ApiError ? err.message : '加载退费申请失败，请稍后重试';
      }
    } finally {
      if (controller === mine) {
        loading.value = false;
        controller = null;
      }
    }
  }

  async function go(rq: RefundQuery, replace = false) {
    const next = routeFromQuery(rq);
    if (sameQuery(next, routeFromQuery(queryFromRoute(route.query, canSeeAll.value)))) {
      query.value = rq;
      fillForm(rq);
      await load(rq);
      return;
    }
    await (replace ? router.replace({ query: next }) : router.push({ query: next }));
  }

  const formQuery = () => ({ state: form.state || undefined, q: form.q.trim() || undefined });
  const search = () => go({ ...query.value, ...formQuery(), page: 1 });
  const reset = () => go({ box: query.value.box, page: 1, pageSize: query.value.pageSize });
  const changeBox = (box: RefundBox) => go({ ...query.value, box, page: 1 });
  const changePage = (page: number) => go({ ...query.value, page });
  const changePageSize = (pageSize: number) => go({ ...query.value, page: 1, pageSize });
  const reload = (options?: { quiet?: boolean }) => load(query.value, options);

  watch(
    () => route.query,
    (q) => {
      if (route.name !== routeName) return; // leaving the page
      const rq = queryFromRoute(q, canSeeAll.value);
      query.value = rq;
      fillForm(rq);
      void load(rq);
    },
    { immediate: true },
  );

  const stop = () => controller?.abort();

  return { form, query, rows, total, loading, errorText, canSeeAll, search, reset, changeBox, changePage, changePageSize, reload, stop };
}
