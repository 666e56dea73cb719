import { http } from './http';

export interface Place {
  code: string;
  name: string;
  active: boolean;
}

export interface BusTypeInfo {
  busType: string;
  name: string;
}

export interface PayChannel {
  code: string;
  name: string;
}

export interface Meta {
  /** null until the hospital is set up. */
  hospital: { code: string; name: string } | null;
  places: Place[];
  busTypes: BusTypeInfo[];
  payChannels: PayChannel[];
  billKinds?: Array<{ code: string; name: string }>;
  temporalUiUrl: string;
  namespace: string;
}

export const fetchMeta = (options?: { silent?: boolean; skipAuthRedirect?: boolean }) => http.get<Meta>('/meta', undefined, options);
