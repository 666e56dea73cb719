/** Every migration, in order. Listed explicitly so that the compiled app and jest find the same set. */
import { Migration20261122000001_initial } from './Migration20261122000001_initial';

export const migrationsList = [
  { name: 'Migration20261122000001_initial', class: Migration20261122000001_initial },
];
