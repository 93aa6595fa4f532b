# Written by qlsweep report; re-run with: gnuplot memory-by-train.steps.gp
set terminal svg size 900,560 dynamic noenhanced font 'sans,13' background '#ffffff'
set output 'memory-by-train.steps.svg'
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
set title 'Peak memory by train.steps - sweep seed-claims'
set xlabel 'train.steps'
set ylabel 'peak memory in use (GiB)'
set yrange [0:*]
set offsets graph 0.04, graph 0.04, graph 0.08, 0
set key inside bottom right
set xtics (20, 40)
plot 'memory-by-train.steps.dat' index 0 using 1:2 with linespoints ps 1.2 title 'dtype=bf16, dropout=0.05, name=paged_adamw_8bit, type=nf4, grad_accum=1, grad_checkpointing=true, micro_batch=16, warmup_steps=4', \
     'memory-by-train.steps.dat' index 1 using 1:2 with linespoints ps 1.2 title 'dtype=bf16, dropout=0.05, name=adamw, type=nf4, grad_accum=1, grad_checkpointing=true, micro_batch=16, warmup_steps=4', \
     'memory-by-train.steps.dat' index 2 using 1:2 with linespoints ps 1.2 title 'dtype=fp16, dropout=0.05, name=paged_adamw_8bit, type=nf4, grad_accum=1, grad_checkpointing=true, micro_batch=16, warmup_steps=4', \
     'memory-by-train.steps.dat' index 3 using 1:2 with linespoints ps 1.2 title 'dtype=bf16, dropout=0.05, name=paged_adamw_8bit, type=none, grad_accum=1, grad_checkpointing=true, micro_batch=16, warmup_steps=4', \
     'memory-by-train.steps.dat' index 4 using 1:2 with linespoints ps 1.2 title 'dtype=bf16, dropout=0.05, name=paged_adamw_8bit, type=nf4, grad_accum=1, grad_checkpointing=false, micro_batch=16, warmup_steps=4', \
     'memory-by-train.steps.dat' index 5 using 1:2 with linespoints ps 1.2 title 'dtype=bf16, dropout=0.0, name=paged_adamw_8bit, type=nf4, grad_accum=1, grad_checkpointing=true, micro_batch=16, warmup_steps=2', \
     'memory-by-train.steps.dat' index 6 using 1:2 with linespoints ps 1.2 title 'dtype=bf16, dropout=0.0, name=paged_adamw_8bit, type=nf4, grad_accum=16, grad_checkpointing=true, micro_batch=1, warmup_steps=2', \
     5.99707 with lines dt 2 lw 2 lc rgb '#d62728' title 'rtx4050-laptop-6gb: 6,141 MiB'
unset output
