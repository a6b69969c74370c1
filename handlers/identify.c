/* handlers/identify.c - who sent a message: a staff member (and the role),
 * a guardian, or the public. Every channel (SMS, USSD, voice) identifies its
 * sender here before it calls an intent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "intents.h"

const char *h_role(const struct h_sender *who)
{
    static const char *const staff_roles[] = {"director", "supervisor", "responder", "admin"};
    if (who->is_staff)
        for (size_t i = 0; i < sizeof staff_roles / sizeof staff_roles[0]; i++)
            if (strcmp(who->staff.role, staff_roles[i]) == 0) return staff_roles[i];
    return who->is_guardian ? "guardian" : "public";
}

int h_is_role(const struct h_sender *who, const char *role)
{
    return who->is_staff && strcmp(who->staff.role, role) == 0;
}

int h_identify(struct store *st, const char *phone, struct h_sender *who)
{
    memset(who, 0, sizeof *who);
    who->phone = phone;
    int rc = db_staff_by_phone(st, phone, &who->staff);
    if (rc < 0) return -1;
    who->is_staff = rc == 0;
    rc = db_guardian_by_phone(st, phone, &who->guardian_id);
    if (rc < 0) return -1;
    who->is_guardian = rc == 0;
    return 0;
}
