/* gateway/openapi.S - gateway/openapi.json, the OpenAPI 3.0 description of
 * /api/v1, built into the binary as NUL-terminated text (api_openapi.c
 * serves it). Assembled from the repository's root, as make does. */
    .section .rodata
    .globl gw_openapi_json
    .type gw_openapi_json, @object
gw_openapi_json:
    .incbin "gateway/openapi.json"
    .byte 0
    .size gw_openapi_json, . - gw_openapi_json
    .section .note.GNU-stack, "", @progbits
