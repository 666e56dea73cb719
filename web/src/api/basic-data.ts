/** 基础数据 (bill kinds, fiscal charge items from the fiscal platform) and 编码对照 (code mapping). */
import { http, request } from './http';

export interface BillKindRow { code: string; name: string; category: string; electronic: boolean; active: boolean; syncedAt: string | null }
export interface FiscalItemRow { code: string; name: string; active: boolean; syncedAt: string | null; mappedCount: number }
export interface BasicChange { entity: 'bill_kind' | 'fiscal_item'; code: string; change: 'added' | 'updated' | 'deactivated' | 'reactivated'; oldValue: string | null; newValue: string | null; at: string | null; version: string }
export interface BasicData {
  lastSync: { version: string; syncedAt: string | null; kinds: number; items: number; changes: number; workflowId: string | null } | null;
  scheduleId: string;
  everyMs: number;
  billKinds: BillKindRow[];
  fiscalItems: FiscalItemRow[];
  changes: BasicChange[];
}
export interface CodeMapping { id: number; hisCode: string; hisName: string | null; fiscalItemCode: string; fiscalItemName: string; fiscalItemActive: boolean; updatedBy: string | null; updatedAt: string | null }
export interface UnmappedCode { hisCode: string; hisName: string; requests: number; lastAt: string | null; lastBusNo: string }
export interface BusinessCategoryRow { id: number; busType: string; name: string; billKindCode: string; billKindName: string; billKindActive: boolean }
export interface ItemGroup { id: number; name: string; hisCodes: string[]; remark: string | null; updatedBy: string | null; updatedAt: string | null }

export const CHANGE_LABEL: Record<string, string> = { added: '新增', updated: '变更', deactivated: '停用', reactivated: '重新启用' };
export const CATEGORY_LABEL: Record<string, string> = { outpatient: '门诊', inpatient: '住院', other: '其他' };

const silent = { silent: true };
export const fetchBasicData = () => http.get<BasicData>('/basic-data');
export const syncBasicData = () => http.post<{ scheduleId: string }>('/basic-data/sync');

export const fetchMappings = () => http.get<{ items: CodeMapping[] }>('/code-mappings');
export const fetchUnmapped = () => http.get<{ items: UnmappedCode[] }>('/code-mappings/unmapped');
export const createMapping = (b: { hisCode: string; hisName?: string; fiscalItemCode: string }) => http.post<CodeMapping>('/code-mappings', b, silent);
export const updateMapping = (id: number, b: { hisName?: string; fiscalItemCode: string }) => request<CodeMapping>(`/code-mappings/${id}`, { method: 'PUT', body: b, ...silent });
export const deleteMapping = (id: number) => request<void>(`/code-mappings/${id}`, { method: 'DELETE' });

export const fetchCategories = () => http.get<{ items: BusinessCategoryRow[] }>('/business-categories');
export const createCategory = (b: { busType: string; name: string; billKindCode: string }) => http.post<BusinessCategoryRow>('/business-categories', b, silent);
export const updateCategory = (id: number, b: { name: string; billKindCode: string }) => request<BusinessCategoryRow>(`/business-categories/${id}`, { method: 'PUT', body: b, ...silent });
export const deleteCategory = (id: number) => request<void>(`/business-categories/${id}`, { method: 'DELETE' });

export const fetchGroups = () => http.get<{ items: ItemGroup[] }>('/item-groups');
export const createGroup = (b: { name: string; hisCodes: string[]; remark?: string }) => http.post<ItemGroup>('/item-groups', b, silent);
export const updateGroup = (id: number, b: { name: string; hisCodes: string[]; remark?: string }) => request<ItemGroup>(`/item-groups/${id}`, { method: 'PUT', body: b, ...silent });
export const deleteGroup = (id: number) => request<void>(`/item-groups/${id}`, { method: 'DELETE' });
