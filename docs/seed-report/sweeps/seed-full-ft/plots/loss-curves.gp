# Written by qlsweep report; re-run with: gnuplot loss-curves.gp
set terminal svg size 900,560 dynamic noenhanced font 'sans,13' background '#ffffff'
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
set title 'Loss per trial - sweep seed-full-ft'
set xlabel 'optimizer step (eval at step 0: the untuned base model)'
set xrange [0:*]
set xtics 4
set ylabel 'loss (nats/token): train lines, eval points'
plot 'loss-curves.dat' index 0 using 1:2 with lines lt 1 dt 1 title 'seq_len=512, micro_batch=16', \
     'loss-curves.dat' index 1 using 1:2 with points lt 1 dt 1 ps 1.1 notitle, \
     'loss-curves.dat' index 2 using 1:2 with lines lt 2 dt 1 title 'seq_len=1024, micro_batch=8', \
     'loss-curves.dat' index 3 using 1:2 with points lt 2 dt 1 ps 1.1 notitle, \
     'loss-curves.dat' index 4 using 1:2 with lines lt 3 dt 1 title 'seq_len=2048, micro_batch=4', \
     'loss-curves.dat' index 5 using 1:2 with points lt 3 dt 1 ps 1.1 notitle, \
     'loss-curves.dat' index 6 using 1:2 with lines lt 4 dt 1 title 'seq_len=4096, micro_batch=2', \
     'loss-curves.dat' index 7 using 1:2 with points lt 4 dt 1 ps 1.1 notitle
unset output
