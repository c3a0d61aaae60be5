{#-
    The current (winning) version of every keyed wechat_member row, as the legacy system
    last said it: the source of the snapshot snap_wechat_member. A row without a key cannot be
    followed through time and stays out (it is quarantined as KEY_MISSING).
-#}
{{ current_legacy_rows(ref('int_wechat_members_versioned'), 'wechat_member') }}
