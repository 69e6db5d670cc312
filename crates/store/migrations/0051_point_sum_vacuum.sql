-- The fold updates the same summary rows (active members, current period and all time)
-- every second. Each update clears its page's all-visible bit, and leaderboard counts and
-- ranks are index-only scans that fall back to the heap for such pages. Vacuum point_sum
-- after ~1% of it changed (not the default 20%, which on millions of rows is rare), so
-- those scans stay index-only; the delta table is emptied constantly, so vacuum it often.
ALTER TABLE point_sum SET (autovacuum_vacuum_scale_factor = 0.01,
                           autovacuum_vacuum_threshold = 1000,
                           autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE point_sum_delta SET (autovacuum_vacuum_scale_factor = 0.0,
                                 autovacuum_vacuum_threshold = 5000);
