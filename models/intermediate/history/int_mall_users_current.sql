{#-
    The current (winning) version of every keyed mall_user row, as the legacy system
    last said it: the source of the snapshot snap_mall_user. A row without a key cannot be
    followed through time and stays out (it is quarantined as KEY_MISSING).
-#}
{{ current_legacy_rows(ref('int_mall_users_versioned'), 'mall_user') }}
