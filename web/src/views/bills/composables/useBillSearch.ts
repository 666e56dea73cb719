/**
 * State of the bill search page. The URL query string is the source of truth: the form and the
 * table follow it, so a refresh, the back button or a shared link show the same search.
 */
import { computed, reactive, ref, shallowRef, watch } from 'vue';
import { useRoute, useRouter, type LocationQuery, type LocationQueryRaw } from 'vue-router';
import { searchBills, type BillListItem, type BillQuery } from '@/api/bills';
import { ApiError } from '@/api/http';
import { isIsoDate, lastDays } from '@/utils/datetime';
import { placeScope } from '@/store/user';

export const PAGE_SIZES = [10, 20, 50, 100] as const;
export const DEFAULT_PAGE_SIZE = 20;

export interface SearchForm {
  dateRange: [string, string] | null;
  placeCode: string;
  busNo: string;
  patient: string;
  billNo: string;
  state: string;
  kind: string;
  uploadState: string;
}

const TEXT_KEYS = ['placeCode', 'busNo', 'patient', 'billNo', 'state', 'kind', 'uploadState'] as const;

const first = (v: LocationQuery[string] | undefined): string => {
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s.trim() : '';
};

const positiveInt = (s: string): number | undefined => {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n >= 1 ? n : undefined;
};

/** URL query → API query (invalid or missing values fall back to defaults). */
export function queryFromRoute(q: LocationQuery): BillQuery {
  const out: BillQuery = { page: positiveInt(first(q.page)) ?? 1, pageSize: DEFAULT_PAGE_SIZE };
  const size = positiveInt(first(q.pageSize));
  if (size && (PAGE_SIZES as readonly number[]).includes(size)) out.pageSize = size;
  let from = first(q.dateFrom);
  let to = first(q.dateTo);
  if (isIsoDate(from) && isIsoDate(to)) {
    if (from > to) [from, to] = [to, from];
    out.dateFrom = from;
    out.dateTo = to;
  }
  for (const key of TEXT_KEYS) {
    const v = first(q[key]);
    if (v) out[key] = v;
  }
  return out;
}

/** API query → URL query (empty values and defaults left out, so the URL stays short). */
export function routeFromQuery(bq: BillQuery): LocationQueryRaw {
  const q: LocationQueryRaw = {};
  if (bq.dateFrom && bq.dateTo) {
    q.dateFrom = bq.dateFrom;
    q.dateTo = bq.dateTo;
  }
  for (const key of TEXT_KEYS) if (bq[key]) q[key] = bq[key];
  if (bq.page > 1) q.page = String(bq.page);
  if (bq.pageSize !== DEFAULT_PAGE_SIZE) q.pageSize = String(bq.pageSize);
  return q;
}

const sameQuery = (a: LocationQueryRaw, b: LocationQueryRaw) => JSON.stringify(a) === JSON.stringify(b);

export function useBillSearch() {
  const route = useRoute();
  const router = useRouter();
  const routeName = route.name;

  const form = reactive<SearchForm>({ dateRange: null, placeCode: '', busNo: '', patient: '', billNo: '', state: '', kind: '', uploadState: '' });
  const query = ref<BillQuery>(queryFromRoute(route.query));
  const rows = shallowRef<BillListItem[]>([]);
  const total = ref(0);
  const loading = ref(false);
  const loaded = ref(false);
  const errorText = ref('');

  const hasFilter = computed(() => {
    const q = query.value;
    return Boolean(q.dateFrom || (q.placeCode && !lockedPlace.value) || q.busNo || q.patient || q.billNo || q.state || q.kind || q.uploadState);
  });

  let controller: AbortController | null = null;

  /** A cashier's own billing point: shown in the (locked) select, never sent (the API scopes it). */
  const lockedPlace = placeScope;

  function fillForm(bq: BillQuery) {
    form.dateRange = bq.dateFrom && bq.dateTo ? [bq.dateFrom, bq.dateTo] : null;
    form.placeCode = lockedPlace.value || (bq.placeCode ?? '');
    form.busNo = bq.busNo ?? '';
    form.patient = bq.patient ?? '';
    form.billNo = bq.billNo ?? '';
    form.state = bq.state ?? '';
    form.kind = bq.kind ?? '';
    form.uploadState = bq.uploadState ?? '';
  }

  async function load(bq: BillQuery = query.value) {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    loading.value = true;
    errorText.value = '';
    try {
      const res = await searchBills(lockedPlace.value ? { ...bq, placeCode: undefined } : bq, mine.signal);
      if (controller !== mine) return;
      // Past the last page (e.g. after a page-size change in a shared link): show the last page.
      const lastPage = Math.max(1, Math.ceil(res.total / bq.pageSize));
      if (res.items.length === 0 && res.total > 0 && bq.page > lastPage) {
        void go({ ...bq, page: lastPage }, true);
        return;
      }
      rows.value = res.items;
      total.value = res.total;
      loaded.value = true;
    } catch (err) {
      if (controller !== mine) return;
      rows.value = [];
      total.value = 0;
      errorText.value = err instanceof ApiError ? err.message : '查询失败，请稍后重试';
    } finally {
      if (controller === mine) {
        loading.value = false;
        controller = null;
      }
    }
  }

  /** Puts `bq` into the URL; the route watcher then loads it. Same URL → just reload. */
  async function go(bq: BillQuery, replace = false) {
    const next = routeFromQuery(bq);
    if (sameQuery(next, routeFromQuery(queryFromRoute(route.query)))) {
      query.value = bq;
      fillForm(bq);
      await load(bq);
      return;
    }
    await (replace ? router.replace({ query: next }) : router.push({ query: next }));
  }

  function formQuery(): Omit<BillQuery, 'page' | 'pageSize'> {
    const q: Omit<BillQuery, 'page' | 'pageSize'> = {};
    if (form.dateRange && form.dateRange[0] && form.dateRange[1]) {
      q.dateFrom = form.dateRange[0];
      q.dateTo = form.dateRange[1];
    }
    for (const key of TEXT_KEYS) {
      if (key === 'placeCode' && lockedPlace.value) continue;
      const v = form[key].trim();
      if (v) q[key] = v;
    }
    return q;
  }

  /** The page opens on today's bills (a cashier's day); 重置 goes back to it. */
  const today = () => {
    const [d] = lastDays(1);
    return { dateFrom: d, dateTo: d };
  };
  const search = () => go({ ...formQuery(), page: 1, pageSize: query.value.pageSize });
  const reset = () => go({ ...today(), page: 1, pageSize: query.value.pageSize });
  const reload = () => load();
  const changePage = (page: number) => go({ ...query.value, page });
  const changePageSize = (pageSize: number) => go({ ...query.value, page: 1, pageSize });

  watch(
    () => route.query,
    (q) => {
      if (route.name !== routeName) return; // leaving the page
      if (Object.keys(q).length === 0) {
        void go({ ...today(), page: 1, pageSize: DEFAULT_PAGE_SIZE }, true);
        return;
      }
      const bq = queryFromRoute(q);
      query.value = bq;
      fillForm(bq);
      void load(bq);
    },
    { immediate: true },
  );

  return { form, query, lockedPlace, rows, total, loading, loaded, errorText, hasFilter, search, reset, reload, changePage, changePageSize };
}
