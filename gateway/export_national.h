/* gateway/export_national.h - export national: the children in the
 * national child-welfare system's import layout, as [export national]
 * describes it (core/config.h): the columns in order, each from one source
 * field, dates in the configured format, codes through the code tables,
 * as CSV in UTF-8 with a byte-order mark or in GB18030.
 *
 * Source fields: code name sex birth_date region (the village's whole
 * path) county town village categories flags (lists joined with "、")
 * id_number (opened with [privacy] id_key) id_masked hukou school
 * carer_name carer_phone carer_relation care_agreement (1|0)
 * care_agreement_date guardianship guardian_name guardian_phone
 * guardian_relation (the first guardian registered). Phones are written
 * without the country's prefix (13800000001).
 */
#ifndef GW_EXPORT_NATIONAL_H
#define GW_EXPORT_NATIONAL_H

#include <stdint.h>
#include <stdio.h>

struct store;
struct gw_config;

/* 1 when field is one of the source fields above. */
int national_field_known(const char *field);

/* Runs `gateway export national`: every child, one CSV row each, written
 * to out only once every row was encoded and the export recorded in the
 * audit trail (action "export national"). Returns the exit status: 0, 1
 * (a store error, or a value that cannot be encoded: err names the child),
 * 2 (no [export national] columns). */
int export_national_cmd(struct store *st, const struct gw_config *cfg, int64_t now, FILE *out, FILE *err);

#endif
