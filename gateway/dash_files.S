/* gateway/dash_files.S - the dashboard's files (gateway/dash/), built into the
 * binary as data, each with its length (dash.c serves them). Assembled
 * from the repository's root, as make does. */
    .section .rodata

    .globl gw_dash_index_html
    .type gw_dash_index_html, @object
gw_dash_index_html:
    .incbin "gateway/dash/index.html"
gw_dash_index_html_end:
    .size gw_dash_index_html, . - gw_dash_index_html
    .globl gw_dash_index_html_len
    .balign 8
gw_dash_index_html_len:
    .quad gw_dash_index_html_end - gw_dash_index_html

    .globl gw_dash_app_js
    .type gw_dash_app_js, @object
gw_dash_app_js:
    .incbin "gateway/dash/app.js"
gw_dash_app_js_end:
    .size gw_dash_app_js, . - gw_dash_app_js
    .globl gw_dash_app_js_len
    .balign 8
gw_dash_app_js_len:
    .quad gw_dash_app_js_end - gw_dash_app_js

    .globl gw_dash_app_css
    .type gw_dash_app_css, @object
gw_dash_app_css:
    .incbin "gateway/dash/app.css"
gw_dash_app_css_end:
    .size gw_dash_app_css, . - gw_dash_app_css
    .globl gw_dash_app_css_len
    .balign 8
gw_dash_app_css_len:
    .quad gw_dash_app_css_end - gw_dash_app_css

    .section .note.GNU-stack, "", @progbits
