/**
 * The hospital the console serves: the first one (the demo's, or the one an install seeded).
 * A platform without a hospital answers 404 E0030 to every console call that needs one.
 */
import { firstHospitalId } from '../../orm/repositories/basic-data';
import { HttpError } from '../http';
import type { ApiContext } from '../context';

export async function consoleHospitalId(api: ApiContext): Promise<number> {
  const id = await firstHospitalId(api.deps.orm.em);
  if (id === undefined) throw new HttpError(404, 'E0030', '尚未配置医院');
  return id;
}

/** The console's hospital with its code and name. */
export async function consoleHospital(api: ApiContext): Promise<{ id: number; code: string; name: string }> {
  const id = await consoleHospitalId(api);
  const h = await api.deps.master.hospital(id);
  return { id, code: h.code, name: h.name };
}
