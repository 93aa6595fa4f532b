# Written by qlsweep report; re-run with: gnuplot loss-curves.gp
set terminal svg size 900,670 dynamic noenhanced font 'sans,13' background '#ffffff'
set output 'loss-curves.svg'
set linetype 1 lc rgb '#1f77b4' lw 2 pt 7
set linetype 2 lc rgb '#ff7f0e' lw 2 pt 7
set linetype 3 lc rgb '#2ca02c' lw 2 pt 7
set linetype 4 lc rgb '#d62728' lw 2 pt 7
set linetype 5 lc rgb '#9467bd' lw 2 pt 7
set linetype 6 lc rgb '#8c564b' lw 2 pt 7
set linetype 7 lc rgb '#e377c2' lw 2 pt 7
set linetype 8 lc rgb '#7f7f7f' lw 2 pt 7
set linetype 9 lc rgb '#bcbd22' lw 2 pt 7
set linetype 10 lc rgb '#17becf' lw 2 pt 7
set linetype cycle 10
set grid lc rgb '#d8d8d8' lt 1 lw 1
set border 3 lc rgb '#404040'
set tics nomirror out
set key outside right top Left reverse box lc rgb '#c0c0c0' width 1
set datafile missing 'NaN'
set multiplot layout 3,3 title 'Loss per trial - sweep seed-claims (train lines, eval points; step 0: the untuned base model)' margins 0.07, 0.98, 0.06, 0.92 spacing 0.05, 0.09
unset key
set xrange [0:40]
set yrange [3.18222:4.17177]
set xtics 10
set tics font ',9'
set title 'dtype=bf16, dropout=0.05, name=paged_adamw_8bit, type=nf4, grad_accum=1, grad_checkpointing=true, micro_batch=16, steps=40, warmup_steps=4' font ',10'
plot 'loss-curves.dat' index 0 using 1:2 with lines lt 1, '' index 1 using 1:2 with points lt 2 ps 0.9
set title 'dtype=bf16, dropout=0.05, name=adamw, type=nf4, grad_accum=1, grad_checkpointing=true, micro_batch=16, steps=40, warmup_steps=4' font ',10'
plot 'loss-curves.dat' index 2 using 1:2 with lines lt 1, '' index 3 using 1:2 with points lt 2 ps 0.9
set title 'dtype=fp16, dropout=0.05, name=paged_adamw_8bit, type=nf4, grad_accum=1, grad_checkpointing=true, micro_batch=16, steps=40, warmup_steps=4' font ',10'
plot 'loss-curves.dat' index 4 using 1:2 with lines lt 1, '' index 5 using 1:2 with points lt 2 ps 0.9
set title 'dtype=bf16, dropout=0.05, name=paged_adamw_8bit, type=none, grad_accum=1, grad_checkpointing=true, micro_batch=16, steps=40, warmup_steps=4' font ',10'
plot 'loss-curves.dat' index 6 using 1:2 with lines lt 1, '' index 7 using 1:2 with points lt 2 ps 0.9
set title 'dtype=bf16, dropout=0.05, name=paged_adamw_8bit, type=nf4, grad_accum=1, grad_checkpointing=false, micro_batch=16, steps=40, warmup_steps=4' font ',10'
plot 'loss-curves.dat' index 8 using 1:2 with lines lt 1, '' index 9 using 1:2 with points lt 2 ps 0.9
set title 'dtype=bf16, dropout=0.0, name=paged_adamw_8bit, type=nf4, grad_accum=1, grad_checkpointing=true, micro_batch=16, steps=20, warmup_steps=2' font ',10'
plot 'loss-curves.dat' index 10 using 1:2 with lines lt 1, '' index 11 using 1:2 with points lt 2 ps 0.9
set title 'dtype=bf16, dropout=0.0, name=paged_adamw_8bit, type=nf4, grad_accum=16, grad_checkpointing=true, micro_batch=1, steps=20, warmup_steps=2' font ',10'
plot 'loss-curves.dat' index 12 using 1:2 with lines lt 1, '' index 13 using 1:2 with points lt 2 ps 0.9
unset multiplot
unset output
