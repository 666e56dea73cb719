/** 印章管理: the hospital's seals (image, name, code, validity, signing key). */
import { http } from './http';

export interface Seal {
  id: number;
  kind: 'finance' | 'unit' | string;
  kindName: string;
  printedOnBills: boolean;
  name: string;
  code: string;
  keyId: string;
  imageSha256: string;
  imageUrl: string;
  validFrom: string;
  validTo: string | null;
  state: 'valid' | 'pending' | 'expired';
  stateName: string;
  bills: number;
  updatedBy: string;
  updatedAt: string | null;
}

export interface SealInput {
  kind: string;
  name: string;
  code: string;
  keyId?: string;
  imageBase64?: string;
  validFrom: string;
  validTo?: string | null;
}

export const fetchSeals = () => http.get<{ keyId: string; kinds: Array<{ code: string; name: string }>; items: Seal[] }>('/seals');
export const createSeal = (s: SealInput) => http.post<Seal>('/seals', s, { silent: true });
export const updateSeal = (id: number, s: SealInput) => http.put<Seal>(`/seals/${id}`, s, { silent: true });
export const sealPreviewUrl = (id: number) => `/api/seals/${id}/preview`;
