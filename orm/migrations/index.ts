/** Every migration, in order. Listed explicitly so that the compiled app and jest find the same set. */
import { Migration20261122000001_initial } from './Migration20261122000001_initial';
import { Migration20261122000002_write_off } from './Migration20261122000002_write_off';
import { Migration20261122000003_bill_events } from './Migration20261122000003_bill_events';
import { Migration20261122000004_paper } from './Migration20261122000004_paper';
import { Migration20261122000005_delivery } from './Migration20261122000005_delivery';
import { Migration20261122000006_lifecycle } from './Migration20261122000006_lifecycle';
import { Migration20261122000007_fiscal } from './Migration20261122000007_fiscal';
import { Migration20261122000008_stock } from './Migration20261122000008_stock';
import { Migration20261122000009_upload } from './Migration20261122000009_upload';
import { Migration20261122000010_payment } from './Migration20261122000010_payment';
import { Migration20261122000011_child_indexes } from './Migration20261122000011_child_indexes';
import { Migration20261122000012_refund } from './Migration20261122000012_refund';
import { Migration20261203000010_his_replay } from './Migration20261203000010_his_replay';
import { Migration20261203000040_refund_trust } from './Migration20261203000040_refund_trust';
import { Migration20261203000050_sealed } from './Migration20261203000050_sealed';
import { Migration20261203000060_sessions } from './Migration20261203000060_sessions';
import { Migration20261204000040_refund_decided_by } from './Migration20261204000040_refund_decided_by';
import { Migration20261205000010_rbac } from './Migration20261205000010_rbac';
import { Migration20261205000020_operation_log } from './Migration20261205000020_operation_log';
import { Migration20261205000030_mfa } from './Migration20261205000030_mfa';
import { Migration20261205000040_exchange_log } from './Migration20261205000040_exchange_log';
import { Migration20261206000010_oidc } from './Migration20261206000010_oidc';

export const migrationsList = [
  { name: 'Migration20261122000001_initial', class: Migration20261122000001_initial },
  { name: 'Migration20261122000002_write_off', class: Migration20261122000002_write_off },
  { name: 'Migration20261122000003_bill_events', class: Migration20261122000003_bill_events },
  { name: 'Migration20261122000004_paper', class: Migration20261122000004_paper },
  { name: 'Migration20261122000005_delivery', class: Migration20261122000005_delivery },
  { name: 'Migration20261122000006_lifecycle', class: Migration20261122000006_lifecycle },
  { name: 'Migration20261122000007_fiscal', class: Migration20261122000007_fiscal },
  { name: 'Migration20261122000008_stock', class: Migration20261122000008_stock },
  { name: 'Migration20261122000009_upload', class: Migration20261122000009_upload },
  { name: 'Migration20261122000010_payment', class: Migration20261122000010_payment },
  { name: 'Migration20261122000011_child_indexes', class: Migration20261122000011_child_indexes },
  { name: 'Migration20261122000012_refund', class: Migration20261122000012_refund },
  { name: 'Migration20261203000010_his_replay', class: Migration20261203000010_his_replay },
  { name: 'Migration20261203000040_refund_trust', class: Migration20261203000040_refund_trust },
  { name: 'Migration20261203000050_sealed', class: Migration20261203000050_sealed },
  { name: 'Migration20261203000060_sessions', class: Migration20261203000060_sessions },
  { name: 'Migration20261204000040_refund_decided_by', class: Migration20261204000040_refund_decided_by },
  { name: 'Migration20261205000010_rbac', class: Migration20261205000010_rbac },
  { name: 'Migration20261205000020_operation_log', class: Migration20261205000020_operation_log },
  { name: 'Migration20261205000030_mfa', class: Migration20261205000030_mfa },
  { name: 'Migration20261205000040_exchange_log', class: Migration20261205000040_exchange_log },
  { name: 'Migration20261206000010_oidc', class: Migration20261206000010_oidc },
];
