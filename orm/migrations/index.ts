/** Every migration, in order. Listed explicitly so that the compiled app and jest find the same set. */
import { Migration20261122000001_initial } from './Migration20261122000001_initial';
import { Migration20261122000002_write_off } from './Migration20261122000002_write_off';
import { Migration20261122000003_bill_events } from './Migration20261122000003_bill_events';
import { Migration20261122000004_paper } from './Migration20261122000004_paper';

export const migrationsList = [
  { name: 'Migration20261122000001_initial', class: Migration20261122000001_initial },
  { name: 'Migration20261122000002_write_off', class: Migration20261122000002_write_off },
  { name: 'Migration20261122000003_bill_events', class: Migration20261122000003_bill_events },
  { name: 'Migration20261122000004_paper', class: Migration20261122000004_paper },
];
