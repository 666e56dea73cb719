/** 首页: today's figures of the person's billing points. */
import { http } from './http';

export interface HomeToday {
  day: string;
  /** The billing points covered (null: the whole hospital). */
  scope: string[] | null;
  bills: number;
  amount: string;
  red: number;
  redAmount: string;
  byChannel: Array<{ code: string; name: string; amount: string }>;
  todos: number | null;
  uploadRejected: number | null;
}

export const fetchHomeToday = () => http.get<HomeToday>('/home/today');
