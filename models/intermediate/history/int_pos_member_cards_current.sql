{#-
    The current (winning) version of every keyed pos_member_card row, as the legacy system
    last said it: the source of the snapshot snap_pos_member_card. A row without a key cannot be
    followed through time and stays out (it is quarantined as KEY_MISSING).
-#}
{{ current_legacy_rows(ref('int_pos_member_cards_versioned'), 'pos_member_card') }}
